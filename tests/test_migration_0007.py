"""Migration 0007_import: `import` joins the lead sources, on SQLite (in place) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from storage.migrate import alembic_config
from tests.test_migrations import _contents, _lead_indexes, database_at


@pytest.fixture
def before_0007(db_url: str) -> Iterator[Engine]:
    """A database at the revision before 0007 (0006_org_sync)."""
    yield from database_at(db_url, "0006_org_sync")


def test_0007_keeps_every_row_and_index_and_accepts_imported_leads(before_0007: Engine, db_url: str) -> None:
    before, indexes = _contents(before_0007), _lead_indexes(before_0007)
    command.upgrade(alembic_config(db_url), "0007_import")
    assert (_contents(before_0007), _lead_indexes(before_0007)) == (before, indexes)
    with before_0007.begin() as conn:
        conn.execute(text("UPDATE leads SET source = 'import' WHERE id = 1"))
    with pytest.raises(IntegrityError), before_0007.begin() as conn:
        conn.execute(text("UPDATE leads SET source = 'bogus' WHERE id = 1"))


def test_0007_refuses_to_downgrade_while_a_lead_is_imported(before_0007: Engine, db_url: str) -> None:
    command.upgrade(alembic_config(db_url), "0007_import")
    with before_0007.begin() as conn:
        conn.execute(text("UPDATE leads SET source = 'import' WHERE id = 1"))
    with pytest.raises(RuntimeError, match="1 leads came from an import"):
        command.downgrade(alembic_config(db_url), "0006_org_sync")
    with before_0007.begin() as conn:
        conn.execute(text("UPDATE leads SET source = 'note' WHERE id = 1"))
    command.downgrade(alembic_config(db_url), "0006_org_sync")
    with pytest.raises(IntegrityError), before_0007.begin() as conn:
        conn.execute(text("UPDATE leads SET source = 'import' WHERE id = 1"))
