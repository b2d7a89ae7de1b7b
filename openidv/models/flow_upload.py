from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit import crypto
from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent
from openidv.models.inquiry import Inquiry
from openidv.models.verification import Verification


class FlowUpload(Base):
    """`file_`: an image or PDF captured in the flow, sealed (bound to its row id) like other PII."""

    __tablename__ = "flow_uploads"

    id: Mapped[str] = id_column()
    inquiry_id: Mapped[str] = mapped_column(ForeignKey("inquiries.id"), nullable=False, index=True)
    step_id: Mapped[str] = mapped_column(String(40), nullable=False)
    verification_id: Mapped[str | None] = mapped_column(ForeignKey("verifications.id"), nullable=True, index=True)
    inquiry: Mapped[Inquiry] = parent()
    verification: Mapped[Verification | None] = parent()
    role: Mapped[str] = mapped_column(String(20), nullable=False)  # front, back, center, left, right, document
    mime_type: Mapped[str] = mapped_column(String(40), nullable=False)
    byte_size: Mapped[int] = mapped_column(Integer, nullable=False)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def content(self) -> bytes:
        return crypto.ring().open(bytes(self.content_sealed), self.id)

    @content.setter
    def content(self, value: bytes) -> None:
        self.content_sealed = crypto.ring().seal(value, self.id)
