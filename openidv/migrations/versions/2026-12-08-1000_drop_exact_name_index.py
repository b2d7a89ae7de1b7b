"""inquiries.name_index and accounts.name_index dropped: the exact-name blind index that the per-token name index
(name_tokens) replaced. Nothing read it any more; it was one more copy derived from a person's name.

Revision ID: 3c8e1f5a9d27
Revises: 9f4b2d7e6c13
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8e1f5a9d27"
down_revision: str | Sequence[str] | None = "9f4b2d7e6c13"  # case SLA expiry (the single head before it)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("inquiries", "accounts")


def upgrade() -> None:
    # Not a batch block: ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL) changes the table in place, where a
    # batch rebuild would copy every inquiry and account.
    for table in TABLES:
        op.drop_index(op.f(f"ix_{table}_name_index"), table_name=table)
        op.drop_column(table, "name_index")


def downgrade() -> None:
    for table in TABLES:  # the column comes back empty: the index is derived from sealed fields it cannot read here
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("name_index", sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_name_index"), ["name_index"], unique=False)
