"""Column shorthands shared by the table files."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openidv.kit import crypto
from openidv.kit.clock import now
from openidv.kit.db import UtcDateTime


def parent() -> Any:
    """The row a foreign key points at, never loaded (`lazy="raise"`). Declared so that one flush writes the parent
    before this row: SQLAlchemy orders a flush's INSERTs by relationships, not by foreign keys."""
    return relationship(lazy="raise")


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


def exact_index(purpose: str, value: str) -> str:
    """A blind index for exact equality: the key ring's index normalises case and spaces, so it is fed the hex
    of the UTF-8 bytes, which that normalisation leaves as it is."""
    return crypto.ring().blind_index(purpose, value.encode().hex())


def sealed_text(column: str, *, index: str | None = None) -> Any:
    """A text attribute (None allowed) stored in `column` sealed with the key ring, bound to the row's id and the
    column's name (a value copied into another row or column does not open). With `index`, the column named so
    keeps an exact-match blind index (`exact_index(column, value)`) for equality filters. The row's id must be
    set first (the constructors pass `id=` first)."""
    bound = f":{column}"

    def read(row: Any) -> str | None:
        value = crypto.open_json(getattr(row, column), row.id + bound)
        return value if isinstance(value, str) else None

    def write(row: Any, value: str | None) -> None:
        if row.id is None:
            raise RuntimeError(f"{type(row).__name__}.{column}: set the row's id before a sealed value")
        setattr(row, column, crypto.seal_json(value, row.id + bound) if value is not None else None)
        if index is not None:
            setattr(row, index, exact_index(column, value) if value is not None else None)

    return property(read, write)
