from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit import crypto
from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column


class Event(Base):
    """`evt_`: one thing that happened. The outbox, the Events API, the timeline and the audit log.

    The payload is a snapshot of the object (canonical 2025-12-08 kebab form) taken in the same
    transaction as the change; it carries PII, so it is sealed like the object itself.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_env_created", "environment_id", "created_at", "id"),
        Index("ix_events_object", "object_id", "created_at"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(60), nullable=False)
    object_id: Mapped[str] = mapped_column(String(40), nullable=False)
    actor: Mapped[str | None] = mapped_column(String(255), nullable=True)  # api_…, user_…, system
    payload_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def payload(self) -> dict[str, Any]:
        return crypto.open_json(self.payload_sealed, self.id) or {}

    @payload.setter
    def payload(self, value: dict[str, Any]) -> None:
        self.payload_sealed = crypto.seal_json(value, self.id)
