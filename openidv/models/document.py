from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, parent, sealed_dict, timestamp
from openidv.models.inquiry import Inquiry


class Document(Base):
    """`doc_`: papers a person handed over (`document/generic`, `document/government-id`). Status written
    only by `openidv.lifecycle`. `data` (sealed) holds the file list, selections, fields and what was
    read from the files; the files themselves are sealed under `<data_dir>/files/<docf_ id>`."""

    __tablename__ = "documents"

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False, index=True)
    inquiry_id: Mapped[str | None] = mapped_column(ForeignKey("inquiries.id"), nullable=True, index=True)
    inquiry: Mapped[Inquiry | None] = parent()
    account_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    verification_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)  # the verification/document reading it
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # generic | government-id
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="initiated")
    data_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = timestamp()
    submitted_at: Mapped[datetime | None] = timestamp()
    processed_at: Mapped[datetime | None] = timestamp()

    data = sealed_dict("data_sealed")
