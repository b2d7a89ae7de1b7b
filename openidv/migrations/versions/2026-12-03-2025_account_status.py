"""accounts.status: the account machine's status (active, archived), backfilled from archived_at

Revision ID: 3c8a5f0e7d21
Revises: d51e4b733b6e
Create Date: 2026-12-03 20:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8a5f0e7d21"
down_revision: str | None = "d51e4b733b6e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills existing rows (and keeps SQLite from rebuilding a table others point at).
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="active", nullable=False))
    # Consolidation archives an account (sets archived_at); nothing else does.
    op.execute("UPDATE accounts SET status = 'archived' WHERE archived_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("accounts", "status")  # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no rebuild of a referenced table
