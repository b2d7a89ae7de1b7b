from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent
from openidv.models.inquiry import Inquiry
from openidv.models.inquiry_session import InquirySession


class FlowConsent(Base):
    """`cnst_`: the person's explicit consent in the flow, with the exact text version they saw."""

    __tablename__ = "flow_consents"

    id: Mapped[str] = id_column()
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), nullable=False, index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("inquiry_sessions.id"), nullable=False)
    inquiry: Mapped[Inquiry] = parent()
    session: Mapped[InquirySession] = parent()
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # general | biometric
    text_version: Mapped[str] = mapped_column(String(40), nullable=False)
    language: Mapped[str] = mapped_column(String(10), nullable=False)
    accepted_at: Mapped[datetime] = created_at_column()
