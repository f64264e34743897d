"""The wiring of a process: settings, database, queue, senders, preparers and rules, built in one place.

Web processes keep theirs in `app.extensions["salesbot"]`; task functions find the process's runtime
with `current()` (installed by `salesbot serve/worker/chat`, or built from the environment on first use
in a plain RQ worker).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.platforms import build_preparers, build_senders
from bot.platforms.base import Preparer, Sender
from config import settings as config_settings
from config.rules import Rules, default_rules
from jobs.queue import EmbeddedQueue, TaskQueue
from nlp import ParsedNote, parse_note
from nlp.model import use_data_dir
from storage.db import is_sqlite, make_engine, make_session_factory
from storage.migrate import check_current, upgrade
from storage.outbox import new_message_ids

NoteReader = Callable[[str, datetime], ParsedNote]

# By name: bot.tasks imports this module, and a web process need not load the task code.
DELIVER = "bot.tasks.deliver"
PROCESS_INBOUND = "bot.tasks.process_inbound"


@dataclass
class Runtime:
    settings: config_settings.Settings
    engine: Engine
    sessions: sessionmaker
    queue: TaskQueue
    rules: Rules
    senders: dict[str, Sender] = field(default_factory=dict)
    preparers: dict[str, Preparer] = field(default_factory=dict)
    # Reads a note: the local reader, or the configured LLM reader with the local one behind it.
    reader: NoteReader = parse_note

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction that commits on success and rolls back on error.

        Outbox messages added in it are queued for delivery once the commit has succeeded.
        """
        with self.sessions() as session:
            with session.begin():
                yield session
            for message_id in new_message_ids(session):
                self.queue.enqueue(DELIVER, message_id, job_id=f"deliver-{message_id}")

    def close(self) -> None:
        if isinstance(self.queue, EmbeddedQueue):
            self.queue.stop()
        self.engine.dispose()


def build_runtime(settings: config_settings.Settings, *, queue: TaskQueue | None = None) -> Runtime:
    """Connect to the database (migrating a SQLite file on first use) and the queue.

    Raises storage.migrate.SchemaOutOfDate when a PostgreSQL database needs `salesbot db upgrade`.
    """
    engine = make_engine(settings.database_url)
    if is_sqlite(settings.database_url):
        upgrade(engine)
    else:
        check_current(engine)
    if queue is None:
        queue = make_queue(settings.redis_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        queue=queue,
        rules=default_rules(),
        senders=build_senders(settings, queue.connection),
        preparers=build_preparers(settings, queue.connection),
        reader=build_reader(settings),
    )


def build_reader(settings: config_settings.Settings) -> NoteReader:
    """The note reader this process uses (the deployment's own trained model when it has one)."""
    use_data_dir(settings.data_dir)
    if settings.llm is None:
        return parse_note
    from bot.llm_reader import LlmReader

    return LlmReader(settings.llm, default_rules())


def make_queue(redis_url: str | None) -> TaskQueue:
    """RQ on the Redis at `redis_url`, or the embedded queue when there is none."""
    if redis_url:
        return TaskQueue.from_url(redis_url, inbound_task=PROCESS_INBOUND)
    return EmbeddedQueue(inbound_task=PROCESS_INBOUND)


_lock = threading.Lock()
_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    """Make `runtime` the one task functions in this process use (None to forget it)."""
    global _current
    with _lock:
        _current = runtime


@contextmanager
def installed(rt: Runtime) -> Iterator[Runtime]:
    """Make `rt` this process's runtime for the block, then forget and close it."""
    install(rt)
    try:
        yield rt
    finally:
        install(None)
        rt.close()


def current() -> Runtime:
    """The installed runtime, or one built from the environment (a bare `rq worker` process)."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime(config_settings.load())
        return _current
