"""one-time links into the cockpit, and the cockpit's session secret

Revision ID: 0008_console_links
Revises: 0010_cockpit_data (0005 on its own; re-chained at merge)
Create Date: 2026-12-01 15:30:00

`console_links` holds one row per link handed out: its random id (the `jti` the signed token carries) is
unique, and opening the link sets `used_at` in the same statement that checks it was unset, so a link opens
one session at most. `console_secrets` keeps the secret that signs links and session cookies when
SALESBOT_SECRET_KEY is not set, so every web process (and every restart) uses the same one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.db

revision: str = "0008_console_links"
down_revision: str | Sequence[str] | None = "0010_cockpit_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", storage.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_console_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_links")),
        sa.UniqueConstraint("jti", name=op.f("uq_console_links_jti")),
    )
    op.create_index(op.f("ix_console_links_expires_at"), "console_links", ["expires_at"])
    op.create_table(
        "console_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", storage.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_secrets")),
        sa.UniqueConstraint("name", name=op.f("uq_console_secrets_name")),
    )


def downgrade() -> None:
    op.drop_table("console_secrets")
    op.drop_table("console_links")
