"""Column shorthands shared by the table files."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit import crypto
from openidv.kit.clock import now
from openidv.kit.db import UtcDateTime


def id_column() -> Mapped[str]:
    return mapped_column(String(40), primary_key=True)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=now, nullable=False)


def timestamp() -> Mapped[datetime | None]:
    return mapped_column(UtcDateTime(), nullable=True)


def json_list() -> Mapped[list[Any]]:
    return mapped_column(JSON, default=list, nullable=False)


def json_dict() -> Mapped[dict[str, Any]]:
    return mapped_column(JSON, default=dict, nullable=False)


def sealed_dict(column: str) -> Any:
    """A dict attribute stored in `column` sealed with the key ring, bound to the row's id (PII at rest)."""

    def read(row: Any) -> dict[str, Any]:
        return crypto.open_json(getattr(row, column), row.id) or {}

    def write(row: Any, value: dict[str, Any] | None) -> None:
        setattr(row, column, crypto.seal_json(value or {}, row.id))

    return property(read, write)
