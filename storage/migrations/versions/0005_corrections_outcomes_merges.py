"""corrections, merges, and why a lost lead was lost

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:20:00

The value lists are written out here, not imported from storage.states: a migration keeps the schema of its
day. The lead columns are added with plain ALTER TABLE on both databases, so SQLite keeps `leads` (and its
expression index) instead of rebuilding it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db
from storage.db import JSONType

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOST_REASONS = ("price", "competitor", "no_budget", "other")
FIELDS = ("tags", "company", "contact", "phone", "follow_up", "stage")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE leads ADD COLUMN lost_reason VARCHAR(16) "
        f"CONSTRAINT ck_leads_lost_reason CHECK ({_in('lost_reason', LOST_REASONS)})"
    )
    op.execute("ALTER TABLE leads ADD COLUMN lost_note VARCHAR(200)")
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("before", sa.String(length=200), nullable=True),
        sa.Column("after", sa.String(length=200), nullable=True),
        sa.Column("created_at", storage.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("field", FIELDS), name=op.f("ck_corrections_field")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_corrections_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_corrections_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_corrections_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_lead_id"), "corrections", ["lead_id"])
    op.create_index(op.f("ix_corrections_activity_id"), "corrections", ["activity_id"])
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("from_lead_id", sa.Integer(), nullable=False),
        sa.Column("into_lead_id", sa.Integer(), nullable=False),
        sa.Column("moved", JSONType, nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(), nullable=False),
        sa.Column("undone_at", storage.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_merges_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["into_lead_id"], ["leads.id"], name=op.f("fk_merges_into_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_index(op.f("ix_merges_into_lead_id"), "merges", ["into_lead_id"])


def downgrade() -> None:
    op.drop_table("merges")
    op.drop_table("corrections")
    # SQLite (3.35+) drops a column with its own CHECK constraint in place.
    op.execute("ALTER TABLE leads DROP COLUMN lost_note")
    op.execute("ALTER TABLE leads DROP COLUMN lost_reason")
