from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict, json_list, timestamp


class ApiKey(Base):
    """An API key; only the SHA-256 of the secret is stored (the secret is shown once)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = id_column()  # api_
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    secret_hint: Mapped[str] = mapped_column(String(12), nullable=False)  # last characters, to tell keys apart
    permissions: Mapped[list[str]] = json_list()
    api_version: Mapped[str | None] = mapped_column(String(20), nullable=True)
    inflection: Mapped[str | None] = mapped_column(String(10), nullable=True)
    ip_allowlist: Mapped[list[str]] = json_list()
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = timestamp()
    expires_at: Mapped[datetime | None] = timestamp()  # `POST /api-keys/{id}/expire`: the key stops working then
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[dict[str, Any]] = json_dict()  # api-attributes-blocklist, file-access-token-expires-in
