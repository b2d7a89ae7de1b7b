"""documents (document/generic, document/government-id)

Revision ID: 5d0c2e7a91b4
Revises: d51e4b733b6e
Create Date: 2026-12-02 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db


revision: str = "5d0c2e7a91b4"
down_revision: str | None = "d51e4b733b6e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("inquiry_id", sa.String(length=40), nullable=True),
        sa.Column("account_id", sa.String(length=40), nullable=True),
        sa.Column("verification_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", openidv.kit.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"], name=op.f("fk_documents_environment_id_environments")),
        sa.ForeignKeyConstraint(["inquiry_id"], ["inquiries.id"], name=op.f("fk_documents_inquiry_id_inquiries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_environment_id"), ["environment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_inquiry_id"), ["inquiry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_verification_id"), ["verification_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_verification_id"))
        batch_op.drop_index(batch_op.f("ix_documents_inquiry_id"))
        batch_op.drop_index(batch_op.f("ix_documents_environment_id"))
    op.drop_table("documents")
