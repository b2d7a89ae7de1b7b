from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict, parent, timestamp
from openidv.models.workflow import Workflow


class WorkflowVersion(Base):
    """`wflv_`: one version of a workflow's definition: the one `draft` (edited in place) or a `published` one, which
    never changes again (runs keep pointing at the version they started on). Status via `openidv.lifecycle`."""

    __tablename__ = "workflow_versions"
    __table_args__ = (Index("ix_workflow_versions_workflow", "workflow_id", "created_at", "id"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id"), nullable=False)
    workflow: Mapped[Workflow] = parent()
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1, 2, ... once published
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)  # the YAML or JSON text as written
    definition: Mapped[dict[str, Any]] = json_dict()  # the parsed, validated definition
    last_updater: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = timestamp()
    archived_at: Mapped[datetime | None] = timestamp()
