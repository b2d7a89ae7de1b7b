from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base, UtcDateTime
from openidv.models._columns import created_at_column, parent, timestamp
from openidv.models.inquiry import Inquiry
from openidv.models.inquiry_session import InquirySession


class OneTimeLink(Base):
    """A single-use link into the flow; only the SHA-256 of its code is stored."""

    __tablename__ = "one_time_links"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    short_code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    session_id: Mapped[str] = mapped_column(ForeignKey("inquiry_sessions.id"), nullable=False, index=True)
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), nullable=False, index=True)
    inquiry: Mapped[Inquiry] = parent()
    session: Mapped[InquirySession] = parent()
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = timestamp()
    revoked_at: Mapped[datetime | None] = timestamp()
