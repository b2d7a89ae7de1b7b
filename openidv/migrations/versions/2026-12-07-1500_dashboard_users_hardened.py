"""Dashboard users managed safely (issue 15, part 4): server-side sessions (user_sessions: only the SHA-256 of
each cookie's token), failed sign-ins counted per client address and per e-mail (sign_in_throttles, blind-indexed
keys) instead of locking the account, so users.failed_sign_ins and users.locked_until go; users.totp_secret is
sealed into totp_secret_sealed with the installed key ring (`openidv migrate` and `openidv setup` install it),
bound to the row's id and column as openidv.models._columns.sealed_text does, then the plain column dropped;
totp_last_step makes each code single-use; totp_required and sandbox_only are set by an admin.

Revision ID: b7d2e4f61a38
Revises: c41e7a9b2d05
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openidv.kit import crypto
from openidv.kit.db import UtcDateTime

revision: str = "b7d2e4f61a38"
down_revision: str | Sequence[str] | None = "c41e7a9b2d05"  # name tokens (the single head then)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table("users", sa.column("id", sa.String), sa.column("totp_secret", sa.String), sa.column("totp_secret_sealed", sa.LargeBinary))


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sandbox_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("totp_secret_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("totp_required", sa.Boolean(), nullable=False, server_default=sa.false()))

    bind = op.get_bind()
    for user_id, secret in bind.execute(sa.select(_USERS.c.id, _USERS.c.totp_secret).where(_USERS.c.totp_secret.is_not(None))).all():
        sealed = crypto.seal_json(secret, f"{user_id}:totp_secret_sealed")
        bind.execute(_USERS.update().where(_USERS.c.id == user_id).values(totp_secret_sealed=sealed))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("failed_sign_ins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    for user_id, sealed in bind.execute(sa.select(_USERS.c.id, _USERS.c.totp_secret_sealed).where(_USERS.c.totp_secret_sealed.is_not(None))).all():
        secret = crypto.open_json(bytes(sealed), f"{user_id}:totp_secret_sealed")
        bind.execute(_USERS.update().where(_USERS.c.id == user_id).values(totp_secret=secret))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_required")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret_sealed")
        batch_op.drop_column("sandbox_only")
    op.drop_table("sign_in_throttles")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
