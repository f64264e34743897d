"""Engine, session factory and the declarative Base (UTC type map, constraint naming convention)."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import JSON, Connection, DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database.

    A naive value is a programming error (whose clock is it?) and raises on bind.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def state_type(states: type[StrEnum], column: str, length: int) -> Enum:
    """A VARCHAR(`length`) holding the values of `states`, with a CHECK constraint `ck_<table>_<column>`.

    Rows read back as members of `states`; a string outside the set reaches the database, which refuses it.
    """
    return Enum(
        states,
        name=column,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict: JSONType, list: JSONType}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off for the block (elsewhere nothing happens); call it outside a transaction.

    A migration that rebuilds a table (batch mode: create a copy, drop the old one, rename) must run so, as
    SQLite's own procedure for such changes says: dropping a parent table with foreign keys on deletes the
    rows of its ON DELETE CASCADE children. Check `foreign_key_violations` before committing the rebuild.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    if connection.in_transaction():
        raise RuntimeError("PRAGMA foreign_keys is ignored inside a transaction")
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def foreign_key_violations(connection: Connection) -> list[tuple[Any, ...]]:
    """SQLite's PRAGMA foreign_key_check: (table, rowid, parent, fk index) for each row whose parent is missing."""
    if connection.dialect.name != "sqlite":
        return []
    return [tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys on every connection."""
    if is_sqlite(url):
        # One connection per checkout: SQLite connections are cheap and WAL lets readers run beside a writer.
        engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take the write lock when a transaction starts (BEGIN IMMEDIATE): two workers handling the same
        # row then run one after the other, as SELECT … FOR UPDATE makes them do on PostgreSQL. In WAL
        # mode readers outside a transaction are never blocked.
        event.listen(engine, "connect", lambda conn, _rec: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    # A forked child (gunicorn --preload workers) must not share the parent's connections.
    ref = weakref.ref(engine)
    os.register_at_fork(after_in_child=lambda: (alive := ref()) is not None and alive.dispose(close=False))
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def insert_once(session: Session, row: object) -> bool:
    """Insert `row` in a savepoint; False (and nothing inserted) when a unique constraint says it exists.

    Uniqueness is the database's job: this is how "already done" is detected without a race.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


@cache
def _insert_new_statement(dialect: str, model: type[Base]) -> Any:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing().returning(model.__table__.c.id)


def _insert_new_rows(bind: Session | Connection, model: type[Base], rows: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id (PostgreSQL and SQLite alike): the ids of the new rows.

    The statement is built once per dialect and model; the rows travel as parameters.
    """
    dialect = bind.dialect.name if isinstance(bind, Connection) else bind.get_bind().dialect.name
    return bind.execute(_insert_new_statement(dialect, model), rows)


def insert_ignoring_duplicates(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    """Bulk insert that skips rows a unique constraint says exist; returns how many rows were new."""
    if not rows:
        return 0
    return len(_insert_new_rows(session, model, rows).all())


def insert_new(bind: Session | Connection, model: type[Base], values: dict[str, Any]) -> int | None:
    """Insert one row in one statement; its id, or None when a unique constraint says it exists.

    Unlike `insert_once` this needs no savepoint and no ORM flush: one round trip, for hot paths.
    """
    return _insert_new_rows(bind, model, values).scalar()


@contextmanager
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one self-contained write, committed when the block ends.

    On PostgreSQL the statement runs in autocommit mode: no BEGIN and no COMMIT round trips, the
    statement is durable when it returns. SQLite gets a short transaction (its BEGIN IMMEDIATE).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
    else:
        with engine.begin() as conn:
            yield conn


def utcnow() -> datetime:
    return datetime.now(UTC)
