"""The one source of "now", so tests can move time (e.g. to expire inquiries)."""

from datetime import UTC, datetime, timedelta
from typing import overload

_offset = timedelta(0)


def now() -> datetime:
    """Current UTC time (naive-free: always timezone-aware)."""
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; treat them as UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds, as Persona prints timestamps."""
    value = as_utc(value)
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"  # truncated, as before


def unix(value: datetime | None) -> int | None:
    value = as_utc(value)
    return None if value is None else int(value.timestamp())
