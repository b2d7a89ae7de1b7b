from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import created_at_column, id_column, json_dict


class ListSnapshot(Base):
    """`lsnap_`: one immutable, versioned load of a screening list; `current` marks the one in service."""

    __tablename__ = "list_snapshots"
    __table_args__ = (Index("ix_list_snapshots_list_version", "list_name", "version", unique=True),)

    id: Mapped[str] = id_column()
    list_name: Mapped[str] = mapped_column(String(120), nullable=False)
    source: Mapped[str] = mapped_column(String(40), nullable=False)
    list_type: Mapped[str] = mapped_column(String(20), nullable=False)  # sanction | pep
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    entry_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    diff: Mapped[dict[str, Any]] = json_dict()  # {"added": [...], "changed": [...], "removed": [...]} entity ids
    summary: Mapped[dict[str, Any]] = json_dict()
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
