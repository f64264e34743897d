"""monthly sales targets, and indexes for the cockpit's figures

Revision ID: 0010_cockpit_data
Revises: 0005
Create Date: 2026-12-01 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db

revision: str = "0010_cockpit_data"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Measured with bench/console.py on the 1M-lead data set (see docs/cockpit-figures.md).
INDEXES = (
    ("ix_leads_owner_id_created_at", "leads", ["owner_id", "created_at"]),
    ("ix_activities_created_at_author_id_type", "activities", ["created_at", "author_id", "type"]),
    ("ix_stage_changes_lead_id_created_at", "stage_changes", ["lead_id", "created_at"]),
)


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name=op.f("ck_targets_team_or_user")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_targets_amount_not_negative")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_targets_team_id_teams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_targets_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("team_id", "month", name=op.f("uq_targets_team_id_month")),
        sa.UniqueConstraint("user_id", "month", name=op.f("uq_targets_user_id_month")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("targets")
