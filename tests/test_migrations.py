"""Alembic migrations match the models and run down and up on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage.db import Base, make_engine
from storage.migrate import SchemaOutOfDate, alembic_config, check_current


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
