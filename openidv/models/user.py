from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, sealed_text, timestamp


class User(Base):
    """`user_`: a dashboard user (admin, reviewer or viewer); password hashed with argon2, TOTP secret sealed."""

    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    sandbox_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # production is refused
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a code's 30 s step is used once
    totp_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # set by an admin
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None] = timestamp()

    totp_secret = sealed_text("totp_secret_sealed")  # base32, sealed with the key ring and bound to this row
