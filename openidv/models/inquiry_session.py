from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent, timestamp
from openidv.models.inquiry import Inquiry


class InquirySession(Base):
    """`iqse_`: one browser session on an inquiry; its JWT names it in `sid`."""

    __tablename__ = "inquiry_sessions"

    id: Mapped[str] = id_column()
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), nullable=False, index=True)
    inquiry: Mapped[Inquiry] = parent()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="new")
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = timestamp()
    expired_at: Mapped[datetime | None] = timestamp()
    expires_at: Mapped[datetime | None] = timestamp()
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)
    device_handoff_method: Mapped[str | None] = mapped_column(String(40), nullable=True)
