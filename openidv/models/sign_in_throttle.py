from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base, UtcDateTime


class SignInThrottle(Base):
    """Failed dashboard sign-ins of one client address or one e-mail (`key` is a blind index, never the
    address itself), kept in the database so every server of a fleet sees the same count."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "ip:<index>" | "email:<index>"
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
