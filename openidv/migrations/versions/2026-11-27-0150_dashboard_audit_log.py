"""dashboard audit log; an index for the dashboard's inquiry list filtered by template and status

Revision ID: 5d1a0b7c2e91
Revises: d51e4b733b6e
Create Date: 2026-11-27 01:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db


revision: str = '5d1a0b7c2e91'
down_revision: str | None = 'd51e4b733b6e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_logs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('environment_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.String(length=40), nullable=False),
    sa.Column('user_email', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('before_status', sa.String(length=30), nullable=True),
    sa.Column('after_status', sa.String(length=30), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', openidv.kit.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environments.id'], name=op.f('fk_audit_logs_environment_id_environments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_logs'))
    )
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.create_index('ix_audit_logs_env_created', ['environment_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_inquiries_env_template_status_created', ['environment_id', 'template_id', 'status', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiries_env_template_status_created')
    op.drop_table('audit_logs')
