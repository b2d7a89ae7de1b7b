"""cases.sla_expired_at: when a case's due time passed while it was still Open or Pending (case.sla-expired is
recorded once per due time; setting a new due time clears it)

Revision ID: 9f4b2d7e6c13
Revises: c41e7a9b2d05
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db

revision: str = "9f4b2d7e6c13"
down_revision: str | Sequence[str] | None = "b7d2e4f61a38"  # dashboard users hardened (the single head before it)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_expired_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_cases_sla_due", ["status", "sla_expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_sla_due")
        batch_op.drop_column("sla_expired_at")
