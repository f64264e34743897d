"""directory sync: nested teams tied to a directory department, deactivated people, hand-set roles

Revision ID: 0006_org_sync
Revises: 0005
Create Date: 2026-12-01 15:20:00

Columns are added with plain ALTER TABLE on both databases (SQLite keeps its tables as they are). Going down,
SQLite rebuilds `teams` (a column in a foreign key cannot be dropped in place); env.py turns foreign keys off
for that and checks them before the commit. Existing managers and admins count as set by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db

revision: str = "0006_org_sync"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE teams ADD COLUMN parent_id INTEGER CONSTRAINT fk_teams_parent_id_teams REFERENCES teams (id)"
    )
    op.add_column("teams", sa.Column("platform", sa.String(length=16), nullable=True))
    op.add_column("teams", sa.Column("external_id", sa.String(length=128), nullable=True))
    op.create_index(op.f("ix_teams_parent_id"), "teams", ["parent_id"])
    op.create_index("ix_teams_platform_external_id", "teams", ["platform", "external_id"], unique=True)
    op.add_column("users", sa.Column("deactivated_at", storage.db.UTCDateTime(), nullable=True))
    op.add_column("users", sa.Column("role_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Before this revision every manager and admin was made so by an operator (`users add`, `teams add`).
    op.execute("UPDATE users SET role_by_hand = (role <> 'rep')")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role_by_hand")
        batch.drop_column("deactivated_at")
    op.drop_index("ix_teams_platform_external_id", table_name="teams")
    op.drop_index(op.f("ix_teams_parent_id"), table_name="teams")
    with op.batch_alter_table("teams") as batch:
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint("fk_teams_parent_id_teams", type_="foreignkey")
        batch.drop_column("external_id")
        batch.drop_column("platform")
        batch.drop_column("parent_id")
