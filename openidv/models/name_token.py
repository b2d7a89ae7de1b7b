from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base


class NameToken(Base):
    """One blind index (`openidv.kit.name_tokens`) of a token or token prefix of an inquiry's or account's first or
    last name: partial-name search without decrypting. Rows go with the names: replaced when they change, deleted
    on redaction. No foreign key, since the owner is an inquiry or an account (told apart by the id's prefix)."""

    __tablename__ = "name_tokens"
    __table_args__ = (Index("ix_name_tokens_env_token", "environment_id", "token", "owner_id"),)

    owner_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    environment_id: Mapped[str] = mapped_column(String(40), nullable=False)
