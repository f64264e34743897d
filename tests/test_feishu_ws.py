"""Feishu long-connection mode: lark-oapi's real ws client, kept by a Keeper, against a fake of Feishu's
endpoint (HTTP, tests/fake_feishu.py) and its WebSocket server (tests/fake_feishu_ws.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from bot import runtime
from bot.app import create_app
from bot.longconn import Backoff, Keeper
from bot.platforms.feishu_ws import FeishuLink
from config.settings import FeishuSettings, Settings
from storage.models import Activity, InboundEvent
from tests import fake_feishu
from tests.fake_feishu import FakeFeishu
from tests.fake_feishu_ws import FakeFeishuWs, serve_fake
from tests.stack import feishu_message
from tests.waiting import wait_until

FAST = Backoff(base=0.05, cap=0.2)


@pytest.fixture
def fake() -> Iterator[FakeFeishu]:
    yield from fake_feishu.serve()


@pytest.fixture
def ws(fake: FakeFeishu) -> Iterator[FakeFeishuWs]:
    for server in serve_fake():
        fake.ws = server
        yield server


@pytest.fixture
def rt(db_url: str, fake: FakeFeishu) -> Iterator[runtime.Runtime]:
    feishu = FeishuSettings(fake_feishu.APP_ID, fake_feishu.APP_SECRET, "", "", api_base=fake.url, mode="ws")
    with runtime.installed(runtime.build_runtime(Settings(database_url=db_url, feishu=feishu))) as built:
        yield built


@pytest.fixture
def keeper(rt: runtime.Runtime, ws: FakeFeishuWs) -> Iterator[Keeper]:
    kept = Keeper(FeishuLink(rt), rt.queue.connection, backoff=FAST).start()
    yield kept
    kept.stop()


def stored(rt: runtime.Runtime, kind: str | None = None) -> int:
    with rt.transaction() as s:
        query = select(func.count()).select_from(InboundEvent)
        return s.scalar(query if kind is None else query.where(InboundEvent.kind == kind)) or 0


def replies_to(fake: FakeFeishu, chat_id: str) -> list[dict[str, Any]]:
    return [r for r in fake.messages if r["receive_id"] == chat_id]


def undo_click(activity_id: int) -> dict[str, Any]:
    payload = fake_feishu.fixture("card.action.trigger__undo")
    payload["header"]["event_id"] = uuid.uuid4().hex
    payload["event"]["action"]["value"]["value"]["activity_id"] = activity_id
    return payload


def test_a_message_over_the_long_connection_is_stored_acknowledged_and_answered(
    rt: runtime.Runtime, fake: FakeFeishu, ws: FakeFeishuWs, keeper: Keeper
) -> None:
    pushed = ws.push(feishu_message("om_ws_1"))
    wait_until(lambda: pushed in ws.acks, "the event's ack")
    assert stored(rt) == 1  # committed before the ack was written
    rt.queue.drain()
    assert len(fake.messages) == 1
    assert ws.acks[pushed] is None  # a message's ack carries no data


def test_a_dropped_connection_loses_no_event_and_doubles_none(
    rt: runtime.Runtime, fake: FakeFeishu, ws: FakeFeishuWs
) -> None:
    ws.drop_after(3)  # the first connection loses the third ack and breaks
    pushed = [ws.push(feishu_message(f"om_ws_{n}", text=f"今天拜访客户{n}号公司 张总 要报价")) for n in range(5)]
    kept = Keeper(FeishuLink(rt), rt.queue.connection, backoff=FAST).start()
    try:
        wait_until(lambda: not ws.pending, "every event acknowledged")
    finally:
        kept.stop()
    rt.queue.drain()
    assert ws.connections == 2
    assert sum(ws.pushes.values()) > 5  # what was un-acknowledged at the drop came again, the stored one too
    assert stored(rt) == 5
    assert len(fake.messages) == 5  # and was answered once
    assert set(pushed) == set(ws.acks)


def test_a_card_click_is_answered_in_the_ack_by_the_conversation(
    rt: runtime.Runtime, fake: FakeFeishu, ws: FakeFeishuWs, keeper: Keeper
) -> None:
    note = ws.push(fake_feishu.fixture("im.message.receive_v1__text"))
    wait_until(lambda: note in ws.acks, "the note's ack")
    rt.queue.drain()
    with rt.transaction() as s:
        activity_id = s.scalars(select(Activity.id)).one()
    click = ws.push(undo_click(activity_id))
    answer = wait_until(lambda: ws.acks.get(click), "the click's answer")
    assert answer["toast"] == {
        "type": "info",
        "content": "已撤销对「杭州华力机械」的上一条记录，这条记录新建的线索也已删除。",
    }
    assert answer["card"]["type"] == "raw" and answer["card"]["data"]["schema"] == "2.0"
    with rt.transaction() as s:
        assert s.scalars(select(Activity.id)).all() == []
        assert s.scalars(select(InboundEvent.status).where(InboundEvent.kind == "card_action")).all() == ["done"]


def test_an_unreadable_event_is_acknowledged_and_not_stored(
    rt: runtime.Runtime, ws: FakeFeishuWs, keeper: Keeper
) -> None:
    broken = feishu_message("om_ws_broken")
    broken["event"]["message"]["content"] = "{not json"
    pushed = ws.push(broken)
    wait_until(lambda: pushed in ws.acks, "the ack")
    assert stored(rt) == 0


def test_healthz_shows_the_connection_and_its_reconnecting(
    rt: runtime.Runtime, fake: FakeFeishu, ws: FakeFeishuWs, keeper: Keeper
) -> None:
    client = create_app(rt.settings, rt).test_client()

    def state() -> dict[str, Any]:
        return client.get("/healthz").get_json()["connections"]["feishu"]

    wait_until(lambda: state()["state"] == "connected", "connected")
    assert client.get("/healthz").get_json()["status"] == "ok"
    fake.fail("/callback/ws/endpoint", status=503, times=1_000)
    ws.drop()
    down = wait_until(lambda: "503" in (s := state())["last_error"] and s, "a failed reconnection attempt")
    assert down["state"] == "connecting" and down["attempts"] >= 2
    assert client.get("/healthz").get_json()["status"] == "degraded"
    fake.failures.clear()
    wait_until(lambda: state()["state"] == "connected", "connected again")


def test_in_ws_mode_there_is_no_webhook_to_post_events_to(rt: runtime.Runtime) -> None:
    client = create_app(rt.settings, rt).test_client()
    body, headers = fake_feishu.event_request(feishu_message("om_forged"), key="")
    assert client.post("/feishu/events", data=json.dumps(json.loads(body)), headers=headers).status_code == 404
    assert stored(rt) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_the_process_a_deployment_runs_holds_the_connection_and_answers(
    command: str, sqlite_url: str, request: pytest.FixtureRequest, fake: FakeFeishu, ws: FakeFeishuWs, tmp_path: Path
) -> None:
    """`salesbot worker` (on Redis) and `salesbot serve` (embedded queue), end to end; on one database, since
    the storage path is the tests' above."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESBOT_")} | {
        "SALESBOT_DATABASE_URL": sqlite_url,
        "SALESBOT_FEISHU_APP_ID": fake_feishu.APP_ID,
        "SALESBOT_FEISHU_APP_SECRET": fake_feishu.APP_SECRET,
        "SALESBOT_FEISHU_MODE": "ws",
        "SALESBOT_FEISHU_API_BASE": fake.url,
    }
    port = free_port()
    if command == "worker":
        env["SALESBOT_REDIS_URL"] = request.getfixturevalue("redis_url")
        args = ["worker"]
    else:
        args = ["serve", "--port", str(port)]
    main = [sys.executable, "-c", "from bot.cli import main; main()"]
    process = subprocess.Popen(main + args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: ws.connected, "the process's connection", timeout=60)
        live = feishu_message("om_ws_process")
        # Sent now, as a live message is: the fixture's 2025 timestamp would make 下周三 long past, and the
        # reminder job would rightly fire while the process runs.
        live["event"]["message"]["create_time"] = str(int(time.time() * 1000))
        pushed = ws.push(live)
        wait_until(lambda: pushed in ws.acks, "the ack")
        wait_until(lambda: fake.messages, "the reply its job sent")
        if command == "serve":
            health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
            assert health["connections"]["feishu"]["state"] == "connected"
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert len(fake.messages) == 1, errors.decode()[-2000:]
