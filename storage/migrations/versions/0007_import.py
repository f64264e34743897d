"""leads may come from an imported ledger: `import` joins the lead sources

Revision ID: 0007_import
Revises: 0005
Create Date: 2026-12-01 15:20:00

The value lists are written out here, not imported from storage.states: a migration keeps the schema of its
day. PostgreSQL drops and adds the CHECK constraint. SQLite cannot alter a constraint, and a batch rebuild of
`leads` would turn the column-level CHECK of `lost_reason` (migration 0005) into a table-level one that
0005's downgrade could no longer drop; so the constraint's text is changed in place in `sqlite_schema`, the
procedure SQLite documents for changes that leave every stored row valid (ALTER TABLE, "making other kinds
of table schema changes"): widening the set always does, and narrowing it is refused while a row holds
`import`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.sqlite_schema import replace_in_table_sql

revision: str = "0007_import"
down_revision: str | Sequence[str] | None = "0006_org_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("note", "assigned")
AFTER = ("note", "assigned", "import")
CHECK = "ck_leads_source"


def _condition(values: tuple[str, ...]) -> str:
    return f"source IN ({', '.join(repr(v) for v in values)})"


def _replace_check(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(CHECK), "leads", type_="check")
        op.create_check_constraint(op.f(CHECK), "leads", _condition(new))
        return
    replace_in_table_sql(
        bind, "leads", f"CONSTRAINT {CHECK} CHECK ({_condition(old)})", f"CONSTRAINT {CHECK} CHECK ({_condition(new)})"
    )


def upgrade() -> None:
    _replace_check(BEFORE, AFTER)


def downgrade() -> None:
    imported = op.get_bind().execute(sa.text("SELECT count(*) FROM leads WHERE source = 'import'")).scalar()
    if imported:
        raise RuntimeError(f"{imported} leads came from an import; change their source before downgrading")
    _replace_check(AFTER, BEFORE)
