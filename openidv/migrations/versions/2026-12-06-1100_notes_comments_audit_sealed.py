"""inquiries.note, inquiries.reviewer_comment and audit_logs.detail sealed at rest (note_sealed, with note_index,
an exact-match blind index for filter[note]; reviewer_comment_sealed; detail_sealed), like the other PII columns.
Existing rows are sealed with the installed key ring (`openidv migrate` and `openidv setup` install it), each
value bound to its row's id and column (openidv.models._columns.sealed_text), then the plain-text columns dropped.

Revision ID: 9a4c2e6f8b13
Revises: 5d1a0b7c2e91
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from openidv.kit import crypto

revision: str = "9a4c2e6f8b13"
down_revision: str | None = "5d1a0b7c2e91"  # the audit log (inquiries come before it)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (plain column, sealed column, exact-match index column or None)
COLUMNS = (
    ("inquiries", "note", "note_sealed", "note_index"),
    ("inquiries", "reviewer_comment", "reviewer_comment_sealed", None),
    ("audit_logs", "detail", "detail_sealed", None),
)


def _seal(value: str | None, row_id: str, column: str) -> bytes | None:
    return None if value is None else crypto.seal_json(value, f"{row_id}:{column}")


def _index(value: str | None, column: str) -> str | None:
    return None if value is None else crypto.ring().blind_index(column, value.encode().hex())


def _open(sealed: bytes | None, row_id: str, column: str) -> str | None:
    return None if sealed is None else crypto.open_json(bytes(sealed), f"{row_id}:{column}")


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.String), *(sa.column(c, sa.LargeBinary if c.endswith("_sealed") else sa.Text) for c in columns))


def upgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("note_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewer_comment_sealed", sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inquiries_note_index"), ["note_index"], unique=False)
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail_sealed", sa.LargeBinary(), nullable=True))

    bind = op.get_bind()
    for table_name, plain, sealed, index in COLUMNS:
        table = _table(table_name, plain, sealed, *([index] if index else []))
        rows = bind.execute(sa.select(table.c.id, table.c[plain]).where(table.c[plain].is_not(None))).all()
        for row_id, value in rows:
            values: dict[str, object] = {sealed: _seal(value, row_id, sealed)}
            if index:
                values[index] = _index(value, sealed)
            bind.execute(table.update().where(table.c.id == row_id).values(**values))

    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_column("reviewer_comment")
        batch_op.drop_column("note")


def downgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewer_comment", sa.Text(), nullable=True))
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))

    bind = op.get_bind()
    for table_name, plain, sealed, _index_column in COLUMNS:
        table = _table(table_name, plain, sealed)
        rows = bind.execute(sa.select(table.c.id, table.c[sealed]).where(table.c[sealed].is_not(None))).all()
        for row_id, value in rows:
            bind.execute(table.update().where(table.c.id == row_id).values({plain: _open(value, row_id, sealed)}))

    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_column("detail_sealed")
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiries_note_index"))
        batch_op.drop_column("reviewer_comment_sealed")
        batch_op.drop_column("note_index")
        batch_op.drop_column("note_sealed")
