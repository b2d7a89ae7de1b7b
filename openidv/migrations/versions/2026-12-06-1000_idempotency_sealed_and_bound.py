"""idempotency_records: the response sealed (body_sealed), bound to its API key (api_key_id), and the created
object's id (object_id) so redaction deletes it. Stored responses in plain text are dropped (a 24-hour cache).

Revision ID: 4f1d8a2c6b90
Revises: 7e2b9c4d1a60
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f1d8a2c6b90"
down_revision: str | None = "7e2b9c4d1a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotency_records")  # plain-text responses, PII included: not kept
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_column("body")
        batch_op.add_column(sa.Column("api_key_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("body_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("object_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_idempotency_records_object_id"), ["object_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_records")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_object_id"))
        batch_op.drop_column("object_id")
        batch_op.drop_column("body_sealed")
        batch_op.drop_column("api_key_id")
        batch_op.add_column(sa.Column("body", sa.LargeBinary(), nullable=False, server_default=sa.text("''")))
