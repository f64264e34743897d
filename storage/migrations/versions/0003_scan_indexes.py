"""indexes for the escalation scan and the leaderboard (measured in docs/performance.md)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:20:00

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_leads_stage_idle_since", "leads", ["stage", sa.text("coalesce(last_activity_at, created_at)")])
    op.create_index("ix_activities_author_id_created_at", "activities", ["author_id", "created_at"])
    op.drop_index("ix_activities_author_id", table_name="activities")
    op.create_index("ix_stage_changes_actor_id_created_at", "stage_changes", ["actor_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_stage_changes_actor_id_created_at", table_name="stage_changes")
    op.create_index("ix_activities_author_id", "activities", ["author_id"])
    op.drop_index("ix_activities_author_id_created_at", table_name="activities")
    op.drop_index("ix_leads_stage_idle_since", table_name="leads")
