"""Writing the API log cheaply: the API middleware hands each answered request to `record()`, which keeps it in
memory and writes what has gathered in one insert, in its own short transaction, at most every FLUSH_SECONDS
or every FLUSH_ROWS rows (and when the log is read, and when the app stops). A crash loses at most that much."""

import threading
import time
from typing import Any

from sqlalchemy.orm import sessionmaker

from openidv.api_logs import repository
from openidv.kit.db import transaction

FLUSH_SECONDS = 1.0
FLUSH_ROWS = 200
_lock = threading.Lock()
_pending: list[dict[str, Any]] = []
_since = 0.0


def keep(row: dict[str, Any]) -> bool:
    """Keep one request's row (no I/O: safe on the event loop); True when the batch is due for `flush()`."""
    global _since
    with _lock:
        if not _pending:
            _since = time.monotonic()
        _pending.append(row)
    return due()


def due() -> bool:
    with _lock:
        return bool(_pending) and (len(_pending) >= FLUSH_ROWS or time.monotonic() - _since >= FLUSH_SECONDS)


def flush(writer: sessionmaker[Any]) -> int:
    """Write every kept row in one transaction; returns how many."""
    with _lock:
        rows = list(_pending)
        _pending.clear()
    if rows:
        with transaction(writer) as db:
            repository.add_many(db, rows)
    return len(rows)
