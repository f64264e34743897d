"""Shared fixtures: real SQLite and PostgreSQL databases, a real Redis, and a runtime over them.

With CI=true a missing PostgreSQL or Redis fails the run instead of skipping its tests.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import runtime
from bot.cards import Card
from bot.inbound import accept
from bot.platforms.base import CardAction, InboundMessage, SendError
from config.settings import Settings
from jobs.queue import TaskQueue
from storage.db import Base, make_engine
from storage.migrate import upgrade

CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("SALESBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
REDIS_URL = os.environ.get("SALESBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def unavailable(what: str, exc: BaseException) -> None:
    """Skip a test whose service is missing, or fail it under CI."""
    message = f"{what} is not available: {exc}"
    if CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for this test session."""
    name = f"salesbot_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        unavailable("PostgreSQL", exc)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        path = tmp_path / "salesbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
        yield url
        _truncate_postgres(url)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated SQLite database, for tests about behaviour that does not depend on the database."""
    path = tmp_path / "salesbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# ---------------------------------------------------------------- redis


@pytest.fixture
def redis_url() -> Iterator[str]:
    """An empty database on the real Redis server, flushed before and after the test.

    Test runs on one machine share the server: a database is claimed with SET NX on a key in database 0 (which
    no test uses), so two runs never test in the same one."""
    admin = redis.Redis.from_url(REDIS_URL, db=0, socket_connect_timeout=2)
    try:
        admin.ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    claim = f"salesbot-test:{os.getpid()}:{uuid.uuid4().hex}"
    for db in range(15, 0, -1):
        if admin.set(f"salesbot-test-claim:{db}", claim, nx=True, ex=3600):
            break
    else:
        pytest.fail("no free Redis database to test in")
    candidate = redis.Redis.from_url(REDIS_URL, db=db)
    candidate.flushdb()
    yield f"{REDIS_URL}/{db}"
    candidate.flushdb()
    admin.delete(f"salesbot-test-claim:{db}")


# ---------------------------------------------------------------- runtime


@dataclass
class RecordingSender:
    """Records what would be sent. `failures` makes the next N sends fail (transiently)."""

    channel: str = "chat"
    sent: list[tuple[str, Card]] = field(default_factory=list)
    failures: int = 0
    permanent: bool = False

    def send(
        self, recipient: str, card: Card, *, dedup_key: str, update_ref: dict[str, Any] | None = None
    ) -> str | None:
        if self.failures:
            self.failures -= 1
            raise SendError("platform said no", permanent=self.permanent)
        self.sent.append((recipient, card))
        return f"msg-{len(self.sent)}"

    @property
    def texts(self) -> list[str]:
        from bot.cards import render_text

        return [render_text(card) for _, card in self.sent]


def make_runtime(url: str, queue: TaskQueue | None = None) -> runtime.Runtime:
    rt = runtime.build_runtime(Settings(database_url=url), queue=queue)
    rt.senders["chat"] = RecordingSender()
    return rt


@pytest.fixture
def rt(db_url: str) -> Iterator[runtime.Runtime]:
    """A runtime on a fresh database with the embedded queue and a recording `chat` sender, installed."""
    with runtime.installed(make_runtime(db_url)) as built:
        yield built


@pytest.fixture
def sent(rt: runtime.Runtime) -> RecordingSender:
    sender = rt.senders["chat"]
    assert isinstance(sender, RecordingSender)
    return sender


class Chat:
    """Say things to the bot as one person and read back its replies as text."""

    def __init__(
        self, rt: runtime.Runtime, sent: RecordingSender, who: str = "wecom:zhangwei", now: datetime = NOW
    ) -> None:
        self.rt, self.sent, self.who, self.now, self.n = rt, sent, who, now, 0

    def say(self, text: str, at: datetime | None = None, *, kind: str = "text", extra: dict | None = None) -> str:
        """Send `text` (`extra`: what the platform module adds, e.g. {"transcript": True} for a voice message)."""
        self.n += 1
        message = InboundMessage(
            channel="chat", sender=self.who, text=text, received_at=at or self.now, kind=kind, extra=extra or {}
        )
        return self._answer(message, f"{self.who}-{self.n}-{text}")

    def click(self, action: str, value: dict, at: datetime | None = None) -> str:
        self.n += 1
        click = CardAction(channel="chat", actor=self.who, action=action, value=value, received_at=at or self.now)
        # Named by what was clicked too, so that two Chats of one person clicking different buttons are two clicks.
        return self._answer(click, f"click-{self.who}-{self.n}-{action}-{json.dumps(value, sort_keys=True)}")

    def _answer(self, delivery: InboundMessage | CardAction, dedup_key: str) -> str:
        """Deliver, run the queue, and return what the bot sent meanwhile."""
        before = len(self.sent.sent)
        accept(self.rt, delivery, platform="chat", dedup_key=dedup_key)
        self.rt.queue.drain()
        return "\n\n".join(self.sent.texts[before:])
