from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, parent, timestamp
from openidv.models.verification import Verification


class ConfirmationCode(Base):
    """The one-time code of a phone-number or email-address verification (one row per verification).

    The code itself is never stored: the send job makes it, delivers it and keeps only a keyed hash.
    `attempts` counts wrong codes over the verification's life (resends do not reset it); `sends`
    counts requested sends, for the cooldown and the cap.
    """

    __tablename__ = "confirmation_codes"

    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), primary_key=True)
    verification: Mapped[Verification] = parent()
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # sms | email
    locale: Mapped[str] = mapped_column(String(10), nullable=False, default="en")
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime | None] = timestamp()
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sends: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    requested_at: Mapped[datetime | None] = timestamp()  # last send request (cooldown)
    sent_at: Mapped[datetime | None] = timestamp()  # last delivery handed to the provider
    created_at: Mapped[datetime] = created_at_column()
