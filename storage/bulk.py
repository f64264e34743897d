"""Many rows into one table in few round trips, inside the caller's transaction.

When the caller needs the new rows' ids they are chosen first, in one statement, and sent with the rows:
PostgreSQL draws them from the table's sequence, as a SERIAL default does; SQLite takes the ones after the
largest id, as its INTEGER PRIMARY KEY does, which is safe because a transaction there holds the write lock
from its start (`BEGIN IMMEDIATE`, storage.db), so no other writer can take them meanwhile. Then PostgreSQL
gets COPY (psycopg's `copy`, the rows adapted in C: a batch is one statement, however many rows, and the
server parses no SQL for it), SQLite one executemany (a loop in C). COPY takes the same row lock as INSERT,
checks the same unique and foreign keys row by row and fires the same triggers, and its rows vanish with the
transaction, so concurrent writers are no more at risk than with INSERT.

Why not multi-row INSERT … RETURNING: on PostgreSQL psycopg converts each statement's placeholders in Python
(a 500-row INSERT of 14 columns has 7,000) and the server parses and plans it, 100,000 rows costing seconds
each way; on SQLite, whose RETURNING order is not guaranteed, SQLAlchemy sends one row a statement. And Core,
not the ORM's bulk insert: that splices each statement's result into the last (quadratic: 8 s of 15 for
10,000 leads), and sends one statement per run of rows leaving the same columns None (reminders with and
without a note: 3,300 statements for 20,000 rows).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert `rows` (all with the same keys, no `id`) into `table`; with `ids`, the new rows' ids in order.
    A column a row does not give takes its scalar default, if it has one (COPY runs no Python defaults)."""
    if not rows:
        return []
    rows = _with_defaults(table, rows)
    postgresql = session.get_bind().dialect.name == "postgresql"
    new = _next_ids(session, table, len(rows), postgresql=postgresql) if ids else []
    if new:
        rows = [{"id": i, **row} for i, row in zip(new, rows, strict=True)]
    if postgresql:
        _copy(session, table, rows)
    else:
        session.execute(insert(table), rows)
    return new


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    given = rows[0].keys()
    defaults = {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    return [{**row, **defaults} for row in rows] if defaults else rows


def _next_ids(session: Session, table: Table, count: int, *, postgresql: bool) -> list[int]:
    if postgresql:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        drawn = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return sorted(session.execute(drawn).scalars())
    last = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
    return list(range(last + 1, last + 1 + count))


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    session.flush()  # COPY goes past the session: what it has pending must be in the database first
    connection = session.connection()
    names = list(rows[0])
    # Each column's value as the database stores it (aware datetimes as naive UTC, states as their strings).
    binders = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[n] if bind is None else bind(row[n]) for n, bind in zip(names, binders, strict=True)])
    cursor.close()
