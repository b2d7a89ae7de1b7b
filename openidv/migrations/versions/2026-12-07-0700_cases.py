"""cases (issue 16): case templates, cases, the objects each case holds, and case comments

Revision ID: e3b7c5a19f62
Revises: 8d3f1b6c2a57
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db

revision: str = "e3b7c5a19f62"
down_revision: str | Sequence[str] | None = "8d3f1b6c2a57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, openidv.kit.db.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "case_templates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolutions", sa.JSON(), nullable=False),
        _at("created_at", False), _at("updated_at", False), _at("archived_at"),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_templates_env_created", "case_templates", ["environment_id", "created_at", "id"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("case_template_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=60), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("fields_sealed", sa.LargeBinary(), nullable=True),
        *(sa.Column(f"{who}_{part}", sa.String(length=255 if part == "id" else 40), nullable=True)
          for who in ("creator", "assigner", "resolver", "updater") for part in ("id", "type")),
        sa.Column("assignee_id", sa.String(length=255), nullable=True),
        _at("sla_expires_at"), _at("created_at", False), _at("updated_at", False), _at("assigned_at"), _at("resolved_at"), _at("redacted_at"),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"]),
        sa.ForeignKeyConstraint(["case_template_id"], ["case_templates.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cases_env_created", "cases", ["environment_id", "created_at", "id"])
    op.create_index("ix_cases_env_status", "cases", ["environment_id", "status"])
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"])
    op.create_table(
        "case_objects",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=False),
        _at("created_at", False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "object_id"),
    )
    op.create_index("ix_case_objects_object_id", "case_objects", ["object_id"])
    op.create_table(
        "case_comments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("message_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("commenter_id", sa.String(length=255), nullable=True),
        sa.Column("commenter_type", sa.String(length=40), nullable=True),
        _at("created_at", False), _at("updated_at", False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_comments_case", "case_comments", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_case_comments_case", table_name="case_comments")
    op.drop_table("case_comments")
    op.drop_index("ix_case_objects_object_id", table_name="case_objects")
    op.drop_table("case_objects")
    for name in ("ix_cases_assignee_id", "ix_cases_env_status", "ix_cases_env_created"):
        op.drop_index(name, table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_case_templates_env_created", table_name="case_templates")
    op.drop_table("case_templates")
