from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column


class IdempotencyRecord(Base):
    """The first response to a POST with an `Idempotency-Key`, replayed for 24 hours to the API key that made it.

    The response is sealed at rest (it may hold PII, session tokens, secrets): `body_sealed`, bound to the
    environment and key. `object_id` names the object the request created, so redacting it deletes the record."""

    __tablename__ = "idempotency_records"

    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    api_key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = created_at_column()
