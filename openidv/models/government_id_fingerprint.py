from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent
from openidv.models.verification import Verification


class GovernmentIdFingerprint(Base):
    """`gidfp_`: what a government-ID verification leaves behind to recognise the document later,
    without keeping it readable: `kind` `number` with `value` the blind index (HMAC-SHA256 under the
    key ring's index key) of country, id class and document number; `portrait` with the 64-bit
    perceptual hash of the front's face (16 hex digits); `portrait-band` rows with `<position><byte>`
    keys of that hash, so near hashes are found through the index (`openidv.checks.image_hash`).
    The owner (account, else inquiry) decides what counts as "another" person's submission."""

    __tablename__ = "government_id_fingerprints"
    __table_args__ = (Index("ix_government_id_fingerprints_lookup", "environment_id", "kind", "value"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), nullable=False, index=True)
    verification: Mapped[Verification] = parent()
    account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    inquiry_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
