from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column


class IdempotencyRecord(Base):
    """The first response to a POST with an `Idempotency-Key`, replayed for 24 hours."""

    __tablename__ = "idempotency_records"

    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
