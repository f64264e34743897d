"""A third platform is one adapter module plus one registry line: a fake one ("beeper") registered here runs
end to end — webhook in, stored, worker, conversation, outbox, its own sender — and the CLI knows its
identities and its group channel, with no change to storage or the CLI."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

import bot.cli
import bot.platforms
from bot import runtime
from bot.app import create_app
from bot.platforms.adapter import GroupChannel, PlatformAdapter
from bot.platforms.base import InboundMessage, Sender
from bot.platforms.prepare import MessagePreparer
from bot.webhook import Delivery, Endpoint, Forbidden, Ignored, receive
from config.settings import Settings
from storage.models import GroupTarget, InboundEvent, OutboxMessage, User
from tests.conftest import RecordingSender

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
SECRET = "beeper-shared-secret"


# ---------------------------------------------------------------- the adapter module a new platform would add


def beeper_blueprint(settings: Settings) -> Blueprint:
    def verify(body: bytes) -> dict[str, Any]:
        if request.headers.get("X-Beeper-Secret") != SECRET:
            raise Forbidden("bad X-Beeper-Secret")
        return json.loads(body)

    def translate(event: dict[str, Any]) -> Delivery | Ignored | Response:
        if event.get("type") == "ping":
            return Ignored("ping")
        message = InboundMessage(
            channel="beeper", sender=f"beeper:{event['from']}", text=event["text"], received_at=datetime.now(UTC)
        )
        return Delivery(message, event["id"], {"id": event["id"]})

    endpoint = Endpoint(
        platform="beeper",
        max_bytes=4096,
        verify=verify,
        translate=translate,
        acknowledge=lambda ignored: jsonify({"ok": True}),
    )
    blueprint = Blueprint("beeper", __name__)
    blueprint.add_url_rule("/beeper/events", "events", lambda: receive(endpoint), methods=["POST"])
    return blueprint


SENT = RecordingSender(channel="beeper")


def beeper_senders(settings: Settings, connection: redis.Redis) -> dict[str, Sender]:
    return {"beeper": SENT, "beeper_room": SENT}


def beeper_preparer(settings: Settings, connection: redis.Redis) -> MessagePreparer:
    return MessagePreparer(
        "beeper", connection, None, download=lambda message: b"", display_name=lambda user: user.title()
    )


BEEPER = PlatformAdapter(
    name="beeper",
    configured=lambda settings: True,
    senders=beeper_senders,
    webhook=beeper_blueprint,
    preparer=beeper_preparer,
    group_channels=(GroupChannel("beeper_room", "Beeper room id"),),
)


# ---------------------------------------------------------------- the registry line, and the process around it


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(bot.platforms, "ADAPTERS", (*bot.platforms.ADAPTERS, BEEPER))
    importlib.reload(bot.cli)  # its options are built from the registry when it is imported
    SENT.sent.clear()
    yield
    monkeypatch.undo()
    importlib.reload(bot.cli)


@pytest.fixture
def rt(registered: None, db_url: str) -> Iterator[runtime.Runtime]:
    with runtime.installed(runtime.build_runtime(Settings(database_url=db_url))) as built:
        yield built


def post(rt: runtime.Runtime, event: dict[str, Any], secret: str = SECRET) -> Any:
    client = create_app(rt.settings, rt).test_client()
    return client.post("/beeper/events", json=event, headers={"X-Beeper-Secret": secret})


def test_a_message_on_a_registered_platform_is_stored_answered_and_sent_by_its_sender(rt: runtime.Runtime) -> None:
    answers = [post(rt, {"id": "b-1", "from": "alice", "text": NOTE}).status_code for _ in range(2)]
    rt.queue.drain()
    assert answers == [200, 200]
    with rt.transaction() as s:
        assert [(e.platform, e.dedup_key, e.status) for e in s.scalars(select(InboundEvent))] == [
            ("beeper", "b-1", "done")
        ]
        assert s.scalars(select(User.name)).all() == ["Alice"]
        assert [(m.channel, m.recipient, m.status) for m in s.scalars(select(OutboxMessage))] == [
            ("beeper", "beeper:alice", "sent")
        ]
    [(recipient, card)] = SENT.sent
    assert (recipient, card.title) == ("beeper:alice", "已记录：杭州华力机械")


def test_the_registered_platform_refuses_what_its_verification_refuses(rt: runtime.Runtime) -> None:
    response = post(rt, {"id": "b-2", "from": "mallory", "text": NOTE}, secret="guess")
    assert (response.status_code, response.get_json()) == (403, {"error": "bad X-Beeper-Secret"})
    assert (post(rt, {"type": "ping"}).status_code, SENT.sent) == (200, [])


def test_the_cli_takes_identities_and_group_channels_of_a_registered_platform(
    registered: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*args: str) -> str:
        result = CliRunner().invoke(bot.cli.main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("users", "add", "beeper:alice", "--name", "Alice")
    run("teams", "add", "华东", "--manager", "beeper:alice")
    assert run("groups", "add", "--team", "华东", "--beeper-room", "room-7").startswith("group target 1: beeper_room")
    from bot.runtime import build_runtime

    rt = build_runtime(Settings(database_url=env["SALESBOT_DATABASE_URL"]))
    with rt.transaction() as s:
        assert [(g.channel, g.address) for g in s.scalars(select(GroupTarget))] == [("beeper_room", "room-7")]
    rt.close()


def test_an_identity_on_a_platform_nobody_registered_is_refused_by_the_cli(registered: None, tmp_path: Path) -> None:
    env = {"SALESBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = CliRunner().invoke(bot.cli.main, ["users", "add", "telegram:bob", "--name", "Bob"], env=env)
    assert result.exit_code == 2
    assert "'telegram:bob' is not an identity like wecom:zhangwei (wecom, feishu, chat, beeper)" in result.output
