"""`openidv lists load|update`: load a list file as a new snapshot, then screen its changes (delta)."""

import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from openidv.kit.db import transaction
from openidv.providers.imported_records import progress_bar
from openidv.reports import lists, service
from openidv.screening.adapters import SOURCES, ListFormatError

CONFIG_FILE = "lists.json"  # in the data folder: [{"list": "OFAC SDN", "source": "ofac-sdn", "url": "https://..."}]


def load_bytes(db: Session, raw: bytes, source: str, list_name: str | None, out: Any = sys.stderr) -> list[str]:
    """Load (a progress bar on `out`, none when None); return the validation summary and diff lines. Raises ListFormatError."""
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        state.setdefault("draw", progress_bar(total, out))(done)

    result = lists.load(db, io.BytesIO(raw), source, list_name, progress if out is not None else None)
    snapshot = result.snapshot
    if state:
        print(file=out)
    if result.unchanged:
        return [f"list {snapshot.list_name}: unchanged, version {snapshot.version} stays in service"]
    service.enqueue_delta(db, snapshot)
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


def configured(data_dir: Path, sources: str | None = None) -> list[dict[str, str]]:
    """The lists to download: the `OPENIDV_LIST_SOURCES` setting (JSON), else `<data dir>/lists.json`."""
    where = "OPENIDV_LIST_SOURCES"
    if not sources:
        path = data_dir / CONFIG_FILE
        if not path.exists():
            raise ListFormatError(f"no list sources configured: set OPENIDV_LIST_SOURCES or write {path} as a JSON array of {{list, source, url}}")
        sources, where = path.read_text(), str(path)
    try:
        entries = json.loads(sources)
    except ValueError as exc:
        raise ListFormatError(f"{where} is not JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and {"source", "url"} <= set(e) for e in entries):
        raise ListFormatError(f"{where} must be a JSON array of objects with source and url (and optionally list)")
    unknown = [e["source"] for e in entries if e["source"] not in SOURCES]
    if unknown:
        raise ListFormatError(f"{where}: unknown list source {unknown[0]!r}; one of {', '.join(SOURCES)}")
    return entries


def download(url: str) -> bytes:
    """http(s) only; official lists move behind redirects (OFAC's to its file store), so a few are followed."""
    if not url.startswith(("https://", "http://")):
        raise ListFormatError(f"{url}: only http(s) URLs are downloaded")
    with httpx.Client(timeout=120, follow_redirects=True, max_redirects=5) as client:
        answer = client.get(url)
    answer.raise_for_status()
    return answer.content


def update_all(writer: sessionmaker[Session], entries: list[dict[str, str]], out: Any = sys.stderr) -> tuple[list[str], list[str]]:
    """Download and load each configured list in its own transaction; one failing leaves its previous
    snapshot in service and does not stop the others. Returns (summary lines, error lines)."""
    lines: list[str] = []
    errors: list[str] = []
    for entry in entries:
        try:
            raw = download(entry["url"])
            with transaction(writer) as db:
                lines += load_bytes(db, raw, entry["source"], entry.get("list"), out)
        except Exception as exc:  # noqa: BLE001 - network, HTTP and format errors alike
            errors.append(f"error: {entry.get('list') or entry['source']}: {exc} (previous snapshot stays in service)")
    return lines, errors
