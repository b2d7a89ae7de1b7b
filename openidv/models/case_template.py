from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, timestamp


class CaseTemplate(Base):
    """`ctmpl_`: what a case is for (its name) and how it can be resolved (`resolutions`, e.g. Approved, Declined).
    Read-only on the API, as in Persona; `openidv setup` makes each environment's default one."""

    __tablename__ = "case_templates"
    __table_args__ = (Index("ix_case_templates_env_created", "environment_id", "created_at", "id"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    resolutions: Mapped[list[str]] = json_list()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    archived_at: Mapped[datetime | None] = timestamp()
