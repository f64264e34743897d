"""Migration 0011_stage_entered_at: each lead's entry into its stage, backfilled, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import DateTime, Engine, Integer, text
from sqlalchemy.exc import IntegrityError

from storage.migrate import alembic_config
from tests.test_migrations import T, _insert, _lead_indexes, database_at

BEFORE = "0008_console_links"


@pytest.fixture
def before_0011(db_url: str) -> Iterator[Engine]:
    """A database at 0008_console_links: lead 1 went to 初访 at T (its one stage change), plus lead 2, which
    moved twice, and lead 3, which never moved."""
    for engine in database_at(db_url, BEFORE):
        lead = {"owner_id": 2, "stage": "qualified", "source": "note", "created_at": T - timedelta(days=30)}
        lead |= {"next_follow_up_has_time": False}
        change = {"actor_id": 2, "lead_id": 2, "from_stage": "lead", "to_stage": "contacted"}
        _insert(
            engine,
            [
                ("leads", {**lead, "id": 2, "company_key": "乙"}),
                ("leads", {**lead, "id": 3, "company_key": "丙", "stage": "lead"}),
                ("stage_changes", {**change, "id": 2, "created_at": T - timedelta(days=20)}),
                ("stage_changes", {**change, "id": 3, "to_stage": "qualified", "created_at": T - timedelta(days=5)}),
            ],
        )
        yield engine


def entered(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        query = text("SELECT id, stage_entered_at FROM leads ORDER BY id")
        return [tuple(r) for r in conn.execute(query.columns(id=Integer, stage_entered_at=DateTime))]


def test_0011_backfills_the_latest_stage_change_else_the_creation(before_0011: Engine, db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "0011_stage_entered_at")
    assert entered(before_0011) == [(1, T), (2, T - timedelta(days=5)), (3, T - timedelta(days=30))]


def test_0011_makes_the_column_required_and_indexed(before_0011: Engine, db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "0011_stage_entered_at")
    assert "ix_leads_stage_entered_at" in _lead_indexes(before_0011)
    with pytest.raises(IntegrityError), before_0011.begin() as conn:
        conn.execute(text("UPDATE leads SET stage_entered_at = NULL WHERE id = 1"))


def test_0011_downgrades_to_the_leads_it_found(before_0011: Engine, db_url: str) -> None:
    indexes = _lead_indexes(before_0011)
    command.upgrade(alembic_config(db_url), "0011_stage_entered_at")
    command.downgrade(alembic_config(db_url), BEFORE)
    assert _lead_indexes(before_0011) == indexes
    with before_0011.connect() as conn:
        assert "stage_entered_at" not in list(conn.execute(text("SELECT * FROM leads")).keys())
