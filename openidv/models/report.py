from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict, json_list, parent, sealed_dict, timestamp
from openidv.models.account import Account
from openidv.models.inquiry import Inquiry
from openidv.models.report_template import ReportTemplate


class Report(Base):
    """`rep_`: one screening of a person against the lists of its template. Status via `openidv.lifecycle`.

    The query (PII) is sealed; `result` holds the matched-lists and each hit's explanation;
    `dismissed` maps a hit key (list:entity) to the entry's content hash when it was dismissed.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_env_created", "environment_id", "created_at", "id"),
        Index("ix_reports_next_run", "continuous", "paused", "next_run_at"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)  # watchlist | politically-exposed-person
    template_id: Mapped[str] = mapped_column(ForeignKey("report_templates.id"), nullable=False)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), nullable=True, index=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id"), nullable=True, index=True)
    account: Mapped[Account | None] = parent()
    inquiry: Mapped[Inquiry | None] = parent()
    template: Mapped[ReportTemplate] = parent()
    reference_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    has_match: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    continuous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    run_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tags: Mapped[list[str]] = json_list()
    query_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    result: Mapped[dict[str, Any]] = json_dict()
    dismissed: Mapped[dict[str, Any]] = json_dict()
    history: Mapped[list[Any]] = json_list()
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    completed_at: Mapped[datetime | None] = timestamp()
    redacted_at: Mapped[datetime | None] = timestamp()
    next_run_at: Mapped[datetime | None] = timestamp()

    query = sealed_dict("query_sealed")
