"""government-ID fingerprints: blind-indexed document numbers and portrait hashes (repeat and seen-before checks)

Revision ID: 7b3e9d41c5a8
Revises: d51e4b733b6e
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db


revision: str = "7b3e9d41c5a8"
down_revision: str | None = "d51e4b733b6e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('government_id_fingerprints',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('environment_id', sa.String(length=40), nullable=False),
    sa.Column('verification_id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=True),
    sa.Column('inquiry_id', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('created_at', openidv.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environments.id'], name=op.f('fk_government_id_fingerprints_environment_id_environments')),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], name=op.f('fk_government_id_fingerprints_verification_id_verifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_government_id_fingerprints'))
    )
    with op.batch_alter_table('government_id_fingerprints', schema=None) as batch_op:
        batch_op.create_index('ix_government_id_fingerprints_lookup', ['environment_id', 'kind', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_government_id_fingerprints_verification_id'), ['verification_id'], unique=False)


def downgrade() -> None:
    op.drop_table('government_id_fingerprints')
