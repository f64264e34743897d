"""the duplicate index's block on each lead: `leads.name_block`

Revision ID: 0012_name_block
Revises: 0011_stage_entered_at
Create Date: 2026-12-02 20:00:00

An import finds the leads a row may duplicate by looking them up in the database, by phone or by this block
(the company's 字号, `nlp.duplicates.block_key`), instead of holding an index of every lead in memory. The
column is nullable and starts empty: the import fills it (the block is worked out by the name rules, which the
storage layer does not know), bringing every lead's block up to date before it reads the first row.

Plain ADD COLUMN, so SQLite keeps `leads` instead of rebuilding it (see 0005).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_name_block"
down_revision: str | Sequence[str] | None = "0011_stage_entered_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "name_block"
INDEX = "ix_leads_name_block"


def upgrade() -> None:
    op.add_column("leads", sa.Column(COLUMN, sa.String(200), nullable=True))
    op.create_index(INDEX, "leads", [COLUMN])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="leads")
    # SQLite (3.35+) drops a column in place, as 0005's downgrade does.
    op.execute(f"ALTER TABLE leads DROP COLUMN {COLUMN}")
