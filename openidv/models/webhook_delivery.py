from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, parent, timestamp
from openidv.models.webhook import Webhook


class WebhookDelivery(Base):
    """`whd_`: one event for one webhook. Each attempt renders its body from the event (the webhook's
    version and inflection), so a redelivery after a redaction sends the redacted object and no copy is
    kept (`body_sealed` is only ever emptied: earlier versions stored one); `log` holds every attempt
    (time, status, duration, truncated response body, error)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), nullable=False)
    webhook: Mapped[Webhook] = parent()
    event_id: Mapped[str] = mapped_column(String(40), nullable=False)
    event_name: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending, succeeded, failed, canceled
    attempts_made: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # bumped by each manual redelivery
    first_attempted_at: Mapped[datetime | None] = timestamp()
    next_attempt_at: Mapped[datetime | None] = timestamp()
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    log: Mapped[list[dict[str, Any]]] = json_list()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = timestamp()
    succeeded_at: Mapped[datetime | None] = timestamp()
    failed_at: Mapped[datetime | None] = timestamp()
    canceled_at: Mapped[datetime | None] = timestamp()
