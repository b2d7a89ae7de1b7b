from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, timestamp


class Workflow(Base):
    """`wfl_`: automation of one environment, run on an event, a schedule or the API. Status (enabled, disabled) via
    `openidv.lifecycle`. The trigger of the live version is copied here so that each recorded event finds the
    workflows it starts with one indexed lookup."""

    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_env_trigger", "environment_id", "trigger_event", "status"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="disabled")
    live_version_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    trigger_type: Mapped[str | None] = mapped_column(String(20), nullable=True)  # event | schedule | api (of the live version)
    trigger_event: Mapped[str | None] = mapped_column(String(100), nullable=True)
    next_run_at: Mapped[datetime | None] = timestamp()  # schedule triggers
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    enabled_at: Mapped[datetime | None] = timestamp()
    disabled_at: Mapped[datetime | None] = timestamp()
