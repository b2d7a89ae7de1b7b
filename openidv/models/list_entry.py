from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base
from openidv.models._columns import id_column, json_dict, parent
from openidv.models.list_snapshot import ListSnapshot


class ListEntry(Base):
    """One canonical list record inside a snapshot (public list data, not sealed)."""

    __tablename__ = "list_entries"
    __table_args__ = (Index("ix_list_entries_snapshot_entity", "snapshot_id", "entity_id", unique=True),)

    id: Mapped[str] = id_column()
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("list_snapshots.id"), nullable=False)
    snapshot: Mapped[ListSnapshot] = parent()
    entity_id: Mapped[str] = mapped_column(String(120), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    record: Mapped[dict[str, Any]] = json_dict()
