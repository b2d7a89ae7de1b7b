from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_list, sealed_dict, timestamp


class Account(Base):
    """`act_`: the business's own user, found by `reference-id`; its fields are sealed (PII). `status` (active,
    archived) is written only by `openidv.lifecycle` and is not on the wire; `account_status` is Persona's
    free-form `account-status` attribute."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("environment_id", "reference_id"),
        Index("ix_accounts_env_created", "environment_id", "created_at", "id"),
    )

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    reference_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    account_type_name: Mapped[str] = mapped_column(String(100), nullable=False, default="User")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active", server_default="active")
    account_status: Mapped[str] = mapped_column(String(20), nullable=False, default="Default")
    tags: Mapped[list[str]] = json_list()
    fields_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    consolidated_into_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    redacted_at: Mapped[datetime | None] = timestamp()
    archived_at: Mapped[datetime | None] = timestamp()

    fields = sealed_dict("fields_sealed")
