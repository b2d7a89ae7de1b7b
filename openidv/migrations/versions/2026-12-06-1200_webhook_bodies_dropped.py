"""webhook_deliveries.body_sealed emptied: each attempt now renders its body from the event, so a copy kept
by an earlier version would outlive the object's redaction (issue 17)

Revision ID: 2b6e9d4f7a31
Revises: 4f1d8a2c6b90
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b6e9d4f7a31"
down_revision: str | None = "4f1d8a2c6b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "a7c3e91f0b2d"  # the webhooks tables (another branch)


def upgrade() -> None:
    op.execute(sa.text("UPDATE webhook_deliveries SET body_sealed = NULL WHERE body_sealed IS NOT NULL"))


def downgrade() -> None:
    pass  # the copies are gone; the events still render every body
