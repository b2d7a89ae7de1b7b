from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, parent, sealed_dict, timestamp
from openidv.models.inquiry import Inquiry


class Verification(Base):
    """`ver_`: one check of what the person gave. Status written only by `openidv.lifecycle`.

    `kind` is the Persona type suffix (`government-id`, `selfie`, `database`, `phone-number`,
    `email-address`, `document`); `step_id` is the template step (`vtmpl_`) it answers.
    `data` holds claimed and extracted attributes (PII, sealed).
    """

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_inquiry", "inquiry_id", "created_at"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False, index=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id"), nullable=True)
    inquiry: Mapped[Inquiry | None] = parent()
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    step_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(30), nullable=False, default="initiated")
    country_code: Mapped[str | None] = mapped_column(String(2), nullable=True)
    checks: Mapped[list[dict[str, Any]]] = json_list()
    tags: Mapped[list[str]] = json_list()
    data_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    submitted_at: Mapped[datetime | None] = timestamp()
    completed_at: Mapped[datetime | None] = timestamp()
    canceled_at: Mapped[datetime | None] = timestamp()
    redacted_at: Mapped[datetime | None] = timestamp()

    data = sealed_dict("data_sealed")
