from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, parent, sealed_dict, timestamp
from openidv.models.case_template import CaseTemplate


class Case(Base):
    """`case_`: a manual review of inquiries, accounts, reports and verifications (its `case_objects`), with an
    assignee (a dashboard user's e-mail, as Persona names assignees), a status written only by
    `openidv.lifecycle` (Open, Pending, then a resolution), a due time (`sla_expires_at`) and comments. Its
    fields are sealed (the business puts PII in them); who did what is `*_id` (actor) with `*_type`."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_env_created", "environment_id", "created_at", "id"),
        Index("ix_cases_env_status", "environment_id", "status"),
        Index("ix_cases_sla_due", "status", "sla_expires_at"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    case_template_id: Mapped[str] = mapped_column(ForeignKey("case_templates.id"), nullable=False)
    case_template: Mapped[CaseTemplate] = parent()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    resolution: Mapped[str | None] = mapped_column(String(60), nullable=True)
    tags: Mapped[list[str]] = json_list()
    fields_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    creator_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    creator_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    assignee_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    assigner_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    assigner_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    resolver_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolver_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updater_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    updater_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sla_expires_at: Mapped[datetime | None] = timestamp()
    sla_expired_at: Mapped[datetime | None] = timestamp()  # case.sla-expired recorded for the current due time
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    assigned_at: Mapped[datetime | None] = timestamp()
    resolved_at: Mapped[datetime | None] = timestamp()
    redacted_at: Mapped[datetime | None] = timestamp()

    fields = sealed_dict("fields_sealed")
