"""name_tokens: per-token blind indexes of inquiries' and accounts' first and last names (openidv.kit.name_tokens),
for partial-name search without decrypting. Existing rows are indexed here with the installed key ring (`openidv
migrate` and `openidv setup` install it): their sealed fields are opened, tokenised and dropped from memory.
Also joins the heads that features added side by side into one.

Revision ID: c41e7a9b2d05
Revises: f359bd9df746, 87beb8c78569, a9c3e7f21b04, 5e1f1e0b10a7, 5d0c2e7a91b4, 7b3e9d41c5a8, 9a4c2e6f8b13, 6c2f8e1a9d47, 3e8a5c1f7d92
Create Date: 2026-12-07 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openidv.kit import crypto, fields as typed_fields, name_tokens

revision: str = "c41e7a9b2d05"
down_revision: str | Sequence[str] | None = (
    "f359bd9df746", "87beb8c78569", "a9c3e7f21b04", "5e1f1e0b10a7", "5d0c2e7a91b4", "7b3e9d41c5a8", "9a4c2e6f8b13", "6c2f8e1a9d47", "3e8a5c1f7d92",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill(bind: sa.Connection, table_name: str, tokens: sa.TableClause) -> None:
    owners = sa.table(table_name, sa.column("id", sa.String), sa.column("environment_id", sa.String), sa.column("fields_sealed", sa.LargeBinary))
    rows = bind.execute(sa.select(owners.c.id, owners.c.environment_id, owners.c.fields_sealed).where(owners.c.fields_sealed.is_not(None))).all()
    batch: list[dict[str, str]] = []
    for owner_id, environment_id, sealed in rows:
        values = crypto.open_json(bytes(sealed), owner_id) or {}
        found = name_tokens.of_names(*(typed_fields.value_of(values, k) for k in ("name-first", "name-last")))
        batch.extend({"owner_id": owner_id, "token": t, "environment_id": environment_id} for t in found)
        if len(batch) >= 5000:
            bind.execute(tokens.insert(), batch)
            batch = []
    if batch:
        bind.execute(tokens.insert(), batch)


def upgrade() -> None:
    op.create_table(
        "name_tokens",
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "token"),
    )
    op.create_index("ix_name_tokens_env_token", "name_tokens", ["environment_id", "token", "owner_id"], unique=False)
    tokens = sa.table("name_tokens", sa.column("owner_id", sa.String), sa.column("token", sa.String), sa.column("environment_id", sa.String))
    bind = op.get_bind()
    for table_name in ("inquiries", "accounts"):
        _backfill(bind, table_name, tokens)


def downgrade() -> None:
    op.drop_index("ix_name_tokens_env_token", table_name="name_tokens")
    op.drop_table("name_tokens")
