from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column


class Tag(Base):
    """`tag_`: a tag name known to an environment (objects carry the names they use)."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("environment_id", "name"),)

    id: Mapped[str] = id_column()
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
