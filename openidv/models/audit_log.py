from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, sealed_text


class AuditLog(Base):
    """`audit_`: one dashboard action (who, what, when, status before and after). Written once, never changed."""

    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_env_created", "environment_id", "created_at", "id"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    user_email: Mapped[str] = mapped_column(String(255), nullable=False)
    action: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    object_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    before_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    after_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    detail_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()

    detail = sealed_text("detail_sealed")  # a reviewer's comment, tag names, a version id: sealed like PII
