"""selfie biometrics (sealed face embeddings, retention clock)

Revision ID: 5e1f1e0b10a7
Revises: d51e4b733b6e
Create Date: 2026-12-02 17:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db


revision: str = '5e1f1e0b10a7'
down_revision: str | None = 'd51e4b733b6e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('selfie_biometrics',
    sa.Column('verification_id', sa.String(length=40), nullable=False),
    sa.Column('embedding_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', openidv.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], name=op.f('fk_selfie_biometrics_verification_id_verifications')),
    sa.PrimaryKeyConstraint('verification_id', name=op.f('pk_selfie_biometrics'))
    )
    with op.batch_alter_table('selfie_biometrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfie_biometrics_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('selfie_biometrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfie_biometrics_created_at'))
    op.drop_table('selfie_biometrics')
