from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, sealed_dict


class Record(Base):
    """`rec_`: one person imported into a record source (`openidv records import FILE --source NAME`).

    The attributes are PII, sealed and bound to the row. Look-ups go through blind indexes (HMAC) of
    normalised birthdate, identification number, e-mail, phone and name, so candidates are found
    without decrypting the table.
    """

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("source", "reference"),
        Index("ix_records_source_birthdate", "source", "birthdate_index"),
        Index("ix_records_source_name", "source", "name_index"),
        Index("ix_records_source_id_number", "source", "identification_number_index"),
        Index("ix_records_source_email", "source", "email_index"),
        Index("ix_records_source_phone", "source", "phone_index"),
    )

    id: Mapped[str] = id_column()
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    reference: Mapped[str] = mapped_column(String(255), nullable=False)  # the row's id in the source (re-imports replace)
    data_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    birthdate_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    identification_number_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = created_at_column()

    data = sealed_dict("data_sealed")
