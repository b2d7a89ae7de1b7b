from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent, sealed_dict, timestamp
from openidv.models.workflow_run import WorkflowRun


class WorkflowRunStep(Base):
    """One step of a run as it happened: its input, outcome and error (the run's trace). Unique per (run, position):
    the row commits with the step's action, which is therefore done once however often its job runs. Input and
    outcome may hold PII (comments, field values): sealed."""

    __tablename__ = "workflow_run_steps"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_workflow_run_steps_position"),)

    id: Mapped[str] = id_column()
    run_id: Mapped[str] = mapped_column(ForeignKey("workflow_runs.id"), nullable=False)
    run: Mapped[WorkflowRun] = parent()
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # lifecycle's WorkflowRunStepStatus
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    input_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    outcome_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = timestamp()

    input: Any = sealed_dict("input_sealed")
    outcome: Any = sealed_dict("outcome_sealed")
