"""API keys managed through the API (note, options, expires_at) and the API log (api_logs): one row per
authenticated request, without bodies or query values (issue 17)

Revision ID: 6c2f8e1a9d47
Revises: 2b6e9d4f7a31
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db

revision: str = "6c2f8e1a9d47"
down_revision: str | None = "2b6e9d4f7a31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    op.create_table(
        "api_logs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("parameter_names", sa.JSON(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("persona_version", sa.String(length=20), nullable=False),
        sa.Column("created_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_logs_environment_created", "api_logs", ["environment_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_api_logs_environment_created", table_name="api_logs")
    op.drop_table("api_logs")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("options")
        batch_op.drop_column("note")
        batch_op.drop_column("expires_at")
