"""Changing a SQLite table's schema text in place, for the migrations that would otherwise rebuild the table.

SQLite documents the procedure (ALTER TABLE, "making other kinds of table schema changes") for changes that
leave every stored row valid and its on-disk format unchanged: a wider CHECK, a NOT NULL that every row
meets. A batch rebuild of `leads` instead would turn 0005's column-level CHECK into a table-level one that
0005's downgrade could no longer drop. `PRAGMA integrity_check` (which checks NOT NULL and CHECK
constraints) confirms the result.
"""

from __future__ import annotations

from sqlalchemy import Connection, text


def replace_in_table_sql(bind: Connection, table: str, old: str, new: str) -> None:
    """Replace `old`, which must occur once in `table`'s CREATE TABLE text, with `new`."""
    query = text("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = :name")
    table_sql = bind.execute(query, {"name": table}).scalar()
    if not table_sql or table_sql.count(old) != 1:
        raise RuntimeError(f"{table} has no single {old!r} to change")
    version = bind.execute(text("PRAGMA schema_version")).scalar()
    bind.execute(text("PRAGMA writable_schema = ON"))
    bind.execute(
        text("UPDATE sqlite_schema SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": table_sql.replace(old, new), "name": table},
    )
    bind.execute(text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the schema change left the database inconsistent: {problems[:5]}")
