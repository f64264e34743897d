"""Alembic environment: the URL comes from config (or a connection handed in), never from the web app."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from config.settings import load
from storage import models  # noqa: F401  (registers the tables)
from storage.db import Base, foreign_key_violations, make_engine, sqlite_foreign_keys_off

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    """Run the migrations in one transaction; on SQLite with foreign keys off, checked before the commit."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with sqlite_foreign_keys_off(connection), context.begin_transaction():
        context.run_migrations()
        if violations := foreign_key_violations(connection):
            raise RuntimeError(f"the migration left rows without their parent: {violations[:5]}")


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or load().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
