"""Log records as one JSON object per line (`OPENIDV_LOG_FORMAT=json`), each carrying the id of the request
being handled when it was emitted, with secrets scrubbed from messages and tracebacks."""

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# The id of the request this code is handling (set by openidv.operations.middleware; copied into the threads
# that run sync endpoints, as contextvars are).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("openidv_request_id", default=None)

# What a message must never carry, whoever wrote it: bearer tokens, API key and webhook secrets, passwords in URLs.
SECRETS = re.compile(
    r"(?i)(bearer\s+)[^\s,;\"']+"
    r"|persona_(?:sandbox|production)_[A-Za-z0-9_-]+"
    r"|wbhsec_[A-Za-z0-9+/=_-]+"
    r"|(://[^:/@\s]+:)[^@\s]+(@)"
)


def scrub(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + "[redacted]"
        if match.group(2):
            return f"{match.group(2)}[redacted]{match.group(3)}"
        return "[redacted]"

    return SECRETS.sub(hide, text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            out["request_id"] = request_id
        for name in ("method", "route", "path", "status", "duration_ms"):  # the access log's fields
            if name in record.__dict__:
                out[name] = record.__dict__[name]
        if record.exc_info:
            out["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(log_format: str, level: str = "info") -> None:
    """JSON lines on stderr for every logger (uvicorn's too: it is run without a logging config of its own then)."""
    if log_format != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
