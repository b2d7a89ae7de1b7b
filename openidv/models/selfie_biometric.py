from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit import crypto
from openidv.kit.clock import now
from openidv.kit.db import Base, UtcDateTime
from openidv.models._columns import parent
from openidv.models.verification import Verification


class SelfieBiometric(Base):
    """The biometric data a selfie verification holds: one row while its photos exist, plus the face
    embedding (sealed, bound to the verification id; never rendered). Redaction and the retention job
    delete the row with the photos, so `created_at` is what the retention period counts from."""

    __tablename__ = "selfie_biometrics"

    verification_id: Mapped[str] = mapped_column(String(40), ForeignKey("verifications.id"), primary_key=True)
    verification: Mapped[Verification] = parent()
    embedding_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=now, nullable=False, index=True)

    @property
    def embedding(self) -> list[float] | None:
        return crypto.open_json(self.embedding_sealed, f"{self.verification_id}:embedding")

    @embedding.setter
    def embedding(self, value: list[float] | None) -> None:
        self.embedding_sealed = crypto.seal_json(value, f"{self.verification_id}:embedding")
