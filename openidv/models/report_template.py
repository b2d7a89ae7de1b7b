from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list


class ReportTemplate(Base):
    """`rptp_`: what a report screens (lists), how strictly (match preset) and how often it re-runs."""

    __tablename__ = "report_templates"
    __table_args__ = (Index("ix_report_templates_env_created", "environment_id", "created_at", "id"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    lists: Mapped[list[str]] = json_list()  # list names; empty = every list of the kind
    match_preset: Mapped[str] = mapped_column(String(20), nullable=False, default="strict")
    rerun_interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version_name: Mapped[str] = mapped_column(String(40), nullable=False, default="v1")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
