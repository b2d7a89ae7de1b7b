from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent, sealed_dict, timestamp
from openidv.models.workflow import Workflow
from openidv.models.workflow_version import WorkflowVersion


class WorkflowRun(Base):
    """`wfr_`: one run of a workflow version. Status via `openidv.lifecycle`: running, waiting (for a report's
    result, an event or a delay), completed, errored. `position` is the step the run is at: each step is a
    job keyed by (run, position), and the step's outcome commits with its action and the move to the next
    position, so a retried job finds its step done. The trigger (event or API fields) may hold PII: sealed."""

    __tablename__ = "workflow_runs"
    __table_args__ = (
        Index("ix_workflow_runs_env_created", "environment_id", "created_at", "id"),
        Index("ix_workflow_runs_workflow", "workflow_id", "created_at", "id"),
        Index("ix_workflow_runs_waiting", "waiting_on", "status"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id"), nullable=False)
    version_id: Mapped[str] = mapped_column(ForeignKey("workflow_versions.id"), nullable=False)
    version: Mapped[WorkflowVersion] = parent()
    workflow: Mapped[Workflow] = parent()
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    object_type: Mapped[str | None] = mapped_column(String(60), nullable=True)  # what the run is about (inquiry ...)
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    creator_type: Mapped[str | None] = mapped_column(String(40), nullable=True)  # event | user | None (API key)
    creator_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    waiting_on: Mapped[str | None] = mapped_column(String(160), nullable=True)  # "<event name>:<object id>" while waiting
    wait_until: Mapped[datetime | None] = timestamp()
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    trigger_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None] = timestamp()
    errored_at: Mapped[datetime | None] = timestamp()

    trigger: Any = sealed_dict("trigger_sealed")
