"""Both platforms' webhooks over one runtime: signed WeCom and Feishu callbacks in, rows and fake-API requests out.

Used by the fault, security and secrets tests. The runtime's queue is whatever the caller builds (a real Redis
for fault tests, the embedded one elsewhere); `work()` runs what is queued.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from bot import runtime
from bot.app import create_app
from config.settings import FeishuSettings, Settings
from jobs.queue import EmbeddedQueue
from storage.db import make_engine, make_session_factory
from tests import fake_feishu, fake_wecom
from tests.fake_feishu import FakeFeishu
from tests.fake_wecom import Callbacks, FakeWecom

NOTE = "今天拜访杭州华力机械王总 13912345678 嫌贵 要样机 下周三再约"
FEISHU_REP = "ou_84aad35d084aa403a838cf73ee18467"


def feishu_settings(fake: FakeFeishu) -> FeishuSettings:
    return FeishuSettings(
        fake_feishu.APP_ID,
        fake_feishu.APP_SECRET,
        fake_feishu.VERIFICATION_TOKEN,
        fake_feishu.ENCRYPT_KEY,
        api_base=fake.url,
    )


def feishu_message(message_id: str, text: str = NOTE, open_id: str = FEISHU_REP) -> dict[str, Any]:
    """An `im.message.receive_v1` text event (the official fixture) with its ids and text replaced."""
    payload = fake_feishu.fixture("im.message.receive_v1__text")
    payload["header"]["event_id"] = uuid.uuid4().hex
    payload["event"]["message"].update(message_id=message_id, content=json.dumps({"text": text}, ensure_ascii=False))
    payload["event"]["sender"]["sender_id"]["open_id"] = open_id
    return payload


def unreachable_database(url: str, tmp_path: Path) -> str:
    """A URL of the same kind as `url` that cannot be opened: a closed port, or a directory that is not there."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'salesbot.db'}"
    return "postgresql+psycopg://postgres@127.0.0.1:1/salesbot?connect_timeout=2"


@contextmanager
def database_at(rt: runtime.Runtime, url: str) -> Iterator[None]:
    """Point `rt` at another (unreachable) database for the duration of the block."""
    working = rt.engine, rt.sessions
    rt.engine = make_engine(url)
    rt.sessions = make_session_factory(rt.engine)
    try:
        yield
    finally:
        rt.engine.dispose()
        rt.engine, rt.sessions = working


@dataclass
class Stack:
    rt: runtime.Runtime
    client: FlaskClient
    wecom: FakeWecom
    feishu: FakeFeishu
    callbacks: Callbacks = field(default_factory=Callbacks)

    def wecom_post(self, name: str, **changes: str) -> TestResponse:
        signed = self.callbacks.sign(fake_wecom.fixture(name, **changes))
        return self.client.post(signed.path, data=signed.body, content_type="text/xml")

    def wecom_text(self, msg_id: str, text: str = NOTE, user: str = "zhangwei") -> TestResponse:
        return self.wecom_post("text__plain", MsgId=msg_id, Content=text, FromUserName=user)

    def feishu_post(self, payload: dict[str, Any]) -> TestResponse:
        body, headers = fake_feishu.event_request(payload)
        return self.client.post("/feishu/events", data=body, headers=headers)

    def feishu_text(self, message_id: str, text: str = NOTE, open_id: str = FEISHU_REP) -> TestResponse:
        return self.feishu_post(feishu_message(message_id, text, open_id))

    def count(self, model: type) -> int:
        with self.rt.transaction() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    @contextmanager
    def database_at(self, url: str) -> Iterator[None]:
        """Point the runtime at another (unreachable) database for the duration of the block."""
        with database_at(self.rt, url):
            yield

    def work(self) -> None:
        """Run every queued job in this thread (a burst RQ worker, or the embedded queue's drain)."""
        queue = self.rt.queue
        if isinstance(queue, EmbeddedQueue):
            queue.drain()
        else:
            queue.drain_inbox()
            queue.worker().work(burst=True, logging_level="WARNING")

    @property
    def wecom_sends(self) -> list[dict[str, Any]]:
        return [r.json for r in self.wecom.calls("message/send")]


def build_stack(database_url: str, *, redis_url: str | None = None, wecom: FakeWecom | None = None) -> Iterator[Stack]:
    """A runtime with both platforms configured against fakes, installed for the task functions.

    A fake Feishu is started here, and a fake WeCom unless the caller brings one (already started)."""
    own_wecom = wecom is None
    wecom = FakeWecom().start() if wecom is None else wecom
    with contextmanager(fake_feishu.serve)() as feishu:
        settings = Settings(
            database_url=database_url, redis_url=redis_url, wecom=wecom.settings(), feishu=feishu_settings(feishu)
        )
        try:
            with runtime.installed(runtime.build_runtime(settings)) as rt:
                yield Stack(rt, create_app(settings, rt).test_client(), wecom, feishu)
        finally:
            if own_wecom:
                wecom.stop()
