"""Alembic migrations match the models and run down and up on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Base, make_engine
from storage.migrate import SchemaOutOfDate, alembic_config, check_current, upgrade
from storage.models import User
from storage.states import Role


def test_the_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(db_url: str) -> None:
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    engine = make_engine(db_url)
    try:
        check_current(engine)
        raise AssertionError("an empty database passed the schema check")
    except SchemaOutOfDate as exc:
        assert "run `salesbot db upgrade`" in str(exc)
    command.upgrade(cfg, "head")
    check_current(engine)
    engine.dispose()


# ---------------------------------------------------------------- 0004: CHECK constraints on the closed sets

T = datetime(2026, 11, 25, 2, 0)  # naive UTC, as the columns store it
# One row in every table, each state column at a valid value, as a database at 0003 holds them.
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("teams", {"id": 1, "name": "华东一组", "created_at": T}),
    ("users", {"id": 1, "name": "王经理", "role": "manager", "team_id": None, "created_at": T}),
    ("users", {"id": 2, "name": "张伟", "role": "rep", "team_id": 1, "created_at": T}),
    ("identities", {"id": 1, "user_id": 2, "platform": "wecom", "external_id": "zhangwei"}),
    (
        "inbound_events",
        {
            "id": 1,
            "platform": "wecom",
            "dedup_key": "m1",
            "kind": "text",
            "sender": "wecom:zhangwei",
            "payload": "{}",
            "status": "done",
            "attempts": 1,
            "received_at": T,
        },
    ),
    (
        "leads",
        {
            "id": 1,
            "company": "杭州华力机械",
            "company_key": "华力机械",
            "owner_id": 2,
            "stage": "contacted",
            "source": "note",
            "created_at": T,
            "last_activity_at": T,
            "next_follow_up_has_time": False,
        },
    ),
    (
        "activities",
        {
            "id": 1,
            "lead_id": 1,
            "author_id": 2,
            "type": "visit",
            "text": "拜访",
            "follow_up_has_time": False,
            "source": "wecom",
            "inbound_event_id": 1,
            "created_lead": True,
            "created_at": T,
        },
    ),
    (
        "reminders",
        {
            "id": 1,
            "lead_id": 1,
            "activity_id": 1,
            "user_id": 2,
            "kind": "follow_up",
            "due_at": T,
            "has_time": False,
            "status": "sent",
            "created_at": T,
        },
    ),
    (
        "stage_changes",
        {
            "id": 1,
            "lead_id": 1,
            "actor_id": 2,
            "activity_id": 1,
            "from_stage": "lead",
            "to_stage": "contacted",
            "created_at": T,
        },
    ),
    (
        "alerts",
        {
            "id": 1,
            "lead_id": 1,
            "rule": "stale",
            "level": "red",
            "basis_at": T,
            "manager_id": 1,
            "status": "snoozed",
            "created_at": T,
        },
    ),
    (
        "outbox",
        {
            "id": 1,
            "kind": "reply",
            "recipient": "wecom:zhangwei",
            "channel": "wecom",
            "dedup_key": "reply:1",
            "payload": "{}",
            "status": "pending",
            "attempts": 0,
            "created_at": T,
            "next_attempt_at": T,
        },
    ),
]
TABLES = sorted({table for table, _ in ROWS})
CHECKED = [
    ("users", "role"),
    ("leads", "source"),
    ("reminders", "status"),
    ("inbound_events", "status"),
    ("outbox", "status"),
    ("alerts", "rule"),
    ("alerts", "level"),
    ("alerts", "status"),
]


def _insert(engine: Engine, rows: list[tuple[str, dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for table, row in rows:
            names = ", ".join(row)
            conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(f':{n}' for n in row)})"), row)


def _contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))] for table in TABLES}


def _lead_indexes(engine: Engine) -> set[str]:
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads'",
        "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'leads'",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return set(conn.execute(text(query)).scalars())


def database_at(db_url: str, revision: str) -> Iterator[Engine]:
    """A database at `revision` holding one row per table; brought back to the newest revision afterwards."""
    command.downgrade(alembic_config(db_url), revision)
    engine = make_engine(db_url)
    _insert(engine, ROWS)
    yield engine
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def at_0003(db_url: str) -> Iterator[Engine]:
    yield from database_at(db_url, "0003")


def test_0004_keeps_every_row_and_every_child_row_of_the_rebuilt_tables(at_0003: Engine, db_url: str) -> None:
    before, indexes = _contents(at_0003), _lead_indexes(at_0003)
    command.upgrade(alembic_config(db_url), "0004")
    assert _contents(at_0003) == before
    assert _lead_indexes(at_0003) == indexes
    assert "ix_leads_stage_idle_since" in indexes


def test_0004_downgrades_without_losing_rows_and_then_accepts_any_value(at_0003: Engine, db_url: str) -> None:
    before = _contents(at_0003)
    command.upgrade(alembic_config(db_url), "0004")
    command.downgrade(alembic_config(db_url), "0003")
    assert _contents(at_0003) == before
    assert "ix_leads_stage_idle_since" in _lead_indexes(at_0003)
    with at_0003.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'boss' WHERE id = 2"))
        conn.execute(text("UPDATE users SET role = 'rep' WHERE id = 2"))


@pytest.mark.parametrize(("table", "column"), CHECKED, ids=[f"{t}.{c}" for t, c in CHECKED])
def test_the_database_refuses_a_value_outside_the_set(at_0003: Engine, table: str, column: str) -> None:
    upgrade(at_0003)
    with pytest.raises(IntegrityError), at_0003.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = 'bogus' WHERE id = 1"))


def test_0004_names_the_stored_values_it_would_refuse_and_changes_nothing(at_0003: Engine) -> None:
    with at_0003.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'boss' WHERE id = 2"))
        conn.execute(text("UPDATE alerts SET level = 'yellow' WHERE id = 1"))
    with pytest.raises(RuntimeError, match=r"users\.role = 'boss', alerts\.level = 'yellow'"):
        upgrade(at_0003)
    with at_0003.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0003"
    with at_0003.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'rep' WHERE id = 2"))
        conn.execute(text("UPDATE alerts SET level = 'red' WHERE id = 1"))


def test_rows_read_back_as_members_of_their_state_enum(db_url: str) -> None:
    engine = make_engine(db_url)
    # The newest schema: leads have had stage_entered_at since 0011.
    _insert(engine, [(table, {**row, "stage_entered_at": T} if table == "leads" else row) for table, row in ROWS])
    with Session(engine) as session:
        rep = session.get(User, 2)
        assert rep is not None and rep.role is Role.REP
    engine.dispose()
