"""Jobs are claimed per queue (verifications, deliveries, default), each by threads of its own: an index on
(state, queue, run_at) finds a queue's due jobs without reading through another queue's backlog

Revision ID: 8d3f1b6c2a57
Revises: a7c3e91f0b2d
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8d3f1b6c2a57"
down_revision: str | None = "a7c3e91f0b2d"  # the jobs table
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_queue_due", ["state", "queue", "run_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_queue_due")
