"""`openidv lists load|update`: load a list file as a new snapshot, then screen its changes (delta)."""

import io
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openidv.providers.imported_records import progress_bar
from openidv.reports import lists, tasks
from openidv.screening.adapters import ListFormatError

CONFIG_FILE = "lists.json"  # in the data folder: [{"list": "OFAC SDN", "source": "ofac-sdn", "url": "https://..."}]


def load_bytes(db: Session, raw: bytes, source: str, list_name: str | None, out: Any = sys.stderr) -> list[str]:
    """Load, print the validation summary and the diff; return the summary lines. Raises ListFormatError."""
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        state.setdefault("draw", progress_bar(total, out))(done)

    result = lists.load(db, io.BytesIO(raw), source, list_name, progress)
    snapshot = result.snapshot
    if state:
        print(file=out)
    if result.unchanged:
        return [f"list {snapshot.list_name}: unchanged, version {snapshot.version} stays in service"]
    tasks.enqueue_delta(db, snapshot)
    s = snapshot.summary
    return [
        f"list {snapshot.list_name} ({snapshot.source}, {snapshot.list_type}): version {snapshot.version} in service",
        f"  {s['entries']} entries ({s['people']} people), {s['names']} names, {s['without-birthdate']} without a birth date",
        f"  diff: {s['added']} added, {s['changed']} changed, {s['removed']} removed",
        "  delta screening of the changed entries queued (runs in the server's or `openidv worker`'s job worker)",
    ]


def load_file(db: Session, path: Path, source: str, list_name: str | None) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListFormatError(f"cannot read {path}: {exc}") from None
    return load_bytes(db, raw, source, list_name)


def configured(data_dir: Path) -> list[dict[str, str]]:
    path = data_dir / CONFIG_FILE
    if not path.exists():
        raise ListFormatError(f"no list sources configured: write {path} as a JSON array of {{list, source, url}}")
    try:
        entries = json.loads(path.read_text())
    except ValueError as exc:
        raise ListFormatError(f"{path} is not JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and {"source", "url"} <= set(e) for e in entries):
        raise ListFormatError(f"{path} must be a JSON array of objects with source and url (and optionally list)")
    return entries


def download(url: str) -> bytes:
    import httpx

    answer = httpx.get(url, timeout=60, follow_redirects=False)
    answer.raise_for_status()
    return answer.content
