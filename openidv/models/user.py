from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, timestamp


class User(Base):
    """`user_`: a dashboard user (admin, reviewer or viewer); password hashed with argon2."""

    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = timestamp()
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None] = timestamp()
