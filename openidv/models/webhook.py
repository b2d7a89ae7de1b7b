from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit import crypto
from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict, json_list, timestamp


class Webhook(Base):
    """`wbh_`: where an environment's events are POSTed (COMPAT.md §8). Secrets are sealed."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_env_status", "environment_id", "status"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # enabled, disabled, archived
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    api_version: Mapped[str] = mapped_column(String(20), nullable=False)
    api_key_inflection: Mapped[str] = mapped_column(String(10), nullable=False, default="kebab")
    enabled_events: Mapped[list[str]] = json_list()
    options: Mapped[dict[str, Any]] = json_dict()  # other attributes echoed back (blocklist, allowlists, ...)
    standard_webhooks: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    secrets_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = timestamp()
    enabled_at: Mapped[datetime | None] = timestamp()
    disabled_at: Mapped[datetime | None] = timestamp()
    archived_at: Mapped[datetime | None] = timestamp()

    @property
    def secrets(self) -> list[dict[str, Any]]:
        """Newest first: `[{"value": "wbhsec_…", "expires-at": iso | None}]`."""
        return crypto.open_json(self.secrets_sealed, self.id) or []

    @secrets.setter
    def secrets(self, value: list[dict[str, Any]]) -> None:
        self.secrets_sealed = crypto.seal_json(value, self.id)
