"""workflows (issue 16): workflows (`wfl_`), their versions (`wflv_`: one draft, immutable published ones), runs
(`wfr_`) and each run's steps, unique per (run, position) so that a step's action is done once

Revision ID: 3e8a5c1f7d92
Revises: e3b7c5a19f62
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openidv.kit.db

revision: str = "3e8a5c1f7d92"
down_revision: str | Sequence[str] | None = "e3b7c5a19f62"  # cases
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, openidv.kit.db.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("live_version_id", sa.String(length=40), nullable=True),
        sa.Column("trigger_type", sa.String(length=20), nullable=True),
        sa.Column("trigger_event", sa.String(length=100), nullable=True),
        _time("next_run_at"), _time("created_at", False), _time("updated_at", False), _time("enabled_at"), _time("disabled_at"),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workflows_env_trigger", "workflows", ["environment_id", "trigger_event", "status"], unique=False)
    op.create_table(
        "workflow_versions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("workflow_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("last_updater", sa.String(length=40), nullable=True),
        _time("created_at", False), _time("updated_at", False), _time("published_at"), _time("archived_at"),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"]),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflows.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workflow_versions_workflow", "workflow_versions", ["workflow_id", "created_at", "id"], unique=False)
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("environment_id", sa.String(length=40), nullable=False),
        sa.Column("workflow_id", sa.String(length=40), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=40), nullable=True),
        sa.Column("creator_type", sa.String(length=40), nullable=True),
        sa.Column("creator_id", sa.String(length=40), nullable=True),
        sa.Column("waiting_on", sa.String(length=160), nullable=True),
        _time("wait_until"),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("trigger_sealed", sa.LargeBinary(), nullable=True),
        _time("created_at", False), _time("updated_at", False), _time("completed_at"), _time("errored_at"),
        sa.ForeignKeyConstraint(["environment_id"], ["environments.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["workflow_versions.id"]),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflows.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_workflow_runs_env_created", "workflow_runs", ["environment_id", "created_at", "id"], unique=False)
    op.create_index("ix_workflow_runs_workflow", "workflow_runs", ["workflow_id", "created_at", "id"], unique=False)
    op.create_index("ix_workflow_runs_waiting", "workflow_runs", ["waiting_on", "status"], unique=False)
    op.create_index(op.f("ix_workflow_runs_object_id"), "workflow_runs", ["object_id"], unique=False)
    op.create_table(
        "workflow_run_steps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("input_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("outcome_sealed", sa.LargeBinary(), nullable=True),
        _time("started_at", False), _time("finished_at"),
        sa.ForeignKeyConstraint(["run_id"], ["workflow_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "position", name="uq_workflow_run_steps_position"),
    )


def downgrade() -> None:
    op.drop_table("workflow_run_steps")
    op.drop_index(op.f("ix_workflow_runs_object_id"), table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_waiting", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_workflow", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_env_created", table_name="workflow_runs")
    op.drop_table("workflow_runs")
    op.drop_index("ix_workflow_versions_workflow", table_name="workflow_versions")
    op.drop_table("workflow_versions")
    op.drop_index("ix_workflows_env_trigger", table_name="workflows")
    op.drop_table("workflows")
