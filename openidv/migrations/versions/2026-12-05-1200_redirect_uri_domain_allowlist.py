"""inquiry_templates.redirect_uri_domain_allowlist: hosts the hosted flow may redirect to (flow/redirects.py)

Revision ID: 7e2b9c4d1a60
Revises: 3c8a5f0e7d21
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2b9c4d1a60"
down_revision: str | None = "3c8a5f0e7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills existing rows with an empty list (only the embedded-flow allowlist then counts).
    with op.batch_alter_table("inquiry_templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redirect_uri_domain_allowlist", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    op.drop_column("inquiry_templates", "redirect_uri_domain_allowlist")
