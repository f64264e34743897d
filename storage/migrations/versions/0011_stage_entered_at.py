"""when each lead entered its current stage: `leads.stage_entered_at`

Revision ID: 0011_stage_entered_at
Revises: 0008_console_links
Create Date: 2026-12-01 19:00:00

The pipeline's average age in stage and its "sat longest" list read this column instead of looking up each
open lead's latest stage change. The backfill is the rule those figures used until now: the lead's latest
stage change, else its creation; one UPDATE on both databases.

The column is added with plain ALTER TABLE, so SQLite keeps `leads` instead of rebuilding it (see 0005).
SQLite cannot add a NOT NULL column without a default, so it is added nullable, filled, and then marked NOT
NULL in the table's schema text, as 0007 changes its CHECK (storage.sqlite_schema): every stored row meets it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db
from storage.sqlite_schema import replace_in_table_sql

revision: str = "0011_stage_entered_at"
down_revision: str | Sequence[str] | None = "0008_console_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "stage_entered_at"
# The "sat longest" list walks it oldest first (read off EXPLAIN on the 1M-lead data set: the whole-company list
# went from a sort of every open lead to a few index entries).
INDEX = "ix_leads_stage_entered_at"
BACKFILL = f"""UPDATE leads SET {COLUMN} = coalesce(
    (SELECT max(stage_changes.created_at) FROM stage_changes WHERE stage_changes.lead_id = leads.id),
    leads.created_at)"""


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("leads", sa.Column(COLUMN, storage.db.UTCDateTime(), nullable=True))
    op.execute(BACKFILL)
    if bind.dialect.name == "sqlite":
        # ADD COLUMN appends its definition after the last column's.
        replace_in_table_sql(bind, "leads", f", {COLUMN} DATETIME", f", {COLUMN} DATETIME NOT NULL")
    else:
        op.alter_column("leads", COLUMN, nullable=False)
    op.create_index(INDEX, "leads", [COLUMN])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="leads")
    # SQLite (3.35+) drops a column in place, as 0005's downgrade does.
    op.execute(f"ALTER TABLE leads DROP COLUMN {COLUMN}")
