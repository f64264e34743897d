"""CHECK constraints on roles, statuses, alert rules and levels, and lead sources

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:30:00

The value lists are written out here, not imported from storage.states: a migration keeps the schema of its
day. On SQLite each table is rebuilt (batch mode) with foreign keys off (see storage/migrations/env.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS: dict[str, dict[str, tuple[str, ...]]] = {
    "users": {"role": ("rep", "manager", "admin")},
    "leads": {"source": ("note", "assigned")},
    "reminders": {"status": ("pending", "sent", "done", "cancelled")},
    "inbound_events": {"status": ("pending", "done", "failed")},
    "outbox": {"status": ("pending", "sent", "failed")},
    "alerts": {
        "rule": ("untouched", "stale"),
        "level": ("high", "red"),
        "status": ("open", "snoozed", "handled", "resolved"),
    },
}
# SQLite cannot reflect this expression index, so a rebuild of `leads` would drop it: it is made again.
IDLE_INDEX = "ix_leads_stage_idle_since"


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _refuse_unknown_values() -> None:
    """Name every stored value the new constraints would refuse, instead of failing on the first row."""
    bind = op.get_bind()
    unknown = [
        f"{table}.{column} = {value!r}"
        for table, columns in CHECKS.items()
        for column, values in columns.items()
        for value in bind.execute(
            sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE NOT ({_condition(column, values)})")
        ).scalars()
    ]
    if unknown:
        raise RuntimeError(f"rows hold values outside the allowed sets, fix them first: {', '.join(unknown)}")


def _keeping_the_idle_index(change: Callable[[], None]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index(IDLE_INDEX, table_name="leads")
    change()
    if sqlite:
        op.create_index(IDLE_INDEX, "leads", ["stage", sa.text("coalesce(last_activity_at, created_at)")])


def _add_checks() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in columns.items():
                batch.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values))


def _drop_checks() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")


def upgrade() -> None:
    _refuse_unknown_values()
    _keeping_the_idle_index(_add_checks)


def downgrade() -> None:
    _keeping_the_idle_index(_drop_checks)
