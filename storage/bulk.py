"""Many rows into one table in few round trips, inside the caller's transaction.

PostgreSQL gets COPY (psycopg's `copy`, the rows adapted in C): a batch is one statement, however many rows,
and the server parses no SQL for it. When the caller needs the new ids, they are drawn from the table's
sequence first, in one statement, and sent with the rows: that is what a SERIAL default does, so concurrent
writers are no more at risk than with INSERT (COPY takes the same row lock, checks the same unique and foreign
keys row by row, and its rows vanish with the transaction). Other databases (SQLite) get multi-row INSERTs of
CHUNK rows, RETURNING id when the ids are wanted.

Multi-row INSERTs cost PostgreSQL more than they seem to: psycopg converts each statement's placeholders in
Python (a 500-row INSERT of 14 columns is 7,000 of them) and the server parses and plans it, 100,000 rows a
few seconds each way. Core, not the ORM's bulk insert: that splices each statement's result into the last
(quadratic: 8 s of 15 for 10,000 leads), and it sends one statement per run of rows leaving the same columns
None (reminders with and without a note: 3,300 statements for 20,000 rows).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

CHUNK = 500  # rows per INSERT where there is no COPY


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert `rows` (all with the same keys, no `id`) into `table`; with `ids`, the new rows' ids in order.
    A column a row does not give takes its scalar default, if it has one (COPY runs no Python defaults)."""
    if not rows:
        return []
    rows = _with_defaults(table, rows)
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, table, rows, ids=ids)
    if not ids:
        session.execute(insert(table), rows)
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    new: list[int] = []
    for start in range(0, len(rows), CHUNK):
        new += session.execute(statement, rows[start : start + CHUNK]).scalars().all()
    return new


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    given = rows[0].keys()
    defaults = {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }
    return [{**row, **defaults} for row in rows] if defaults else rows


def _copy(session: Session, table: Table, rows: list[dict[str, Any]], *, ids: bool) -> list[int]:
    connection = session.connection()
    new: list[int] = []
    if ids:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        drawn = select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        new = sorted(connection.execute(drawn).scalars())
    names = list(rows[0])
    # Each column's value as the database stores it (aware datetimes as naive UTC, states as their strings).
    binders = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, ["id", *names] if ids else names))
    )
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for i, row in enumerate(rows):
            values = [row[n] if bind is None else bind(row[n]) for n, bind in zip(names, binders, strict=True)]
            copy.write_row([new[i], *values] if ids else values)
    cursor.close()
    return new
