"""List snapshots: each load is immutable and versioned, with a diff against the one it replaces.
A load that fails to parse writes nothing, so the previous snapshot stays in service."""

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from sqlalchemy.orm import Session

from openidv.kit.ids import new_id
from openidv.models import ListSnapshot
from openidv.reports import repository
from openidv.screening import adapters
from openidv.screening.matcher import Index
from openidv.screening.record import Record


@dataclass
class LoadResult:
    snapshot: ListSnapshot
    unchanged: bool


def load(session: Session, stream: IO[bytes], source: str, list_name: str | None = None,
         progress: Callable[[int, int], None] | None = None) -> LoadResult:
    """Parse, validate, diff and store a list file as the new current snapshot of `list_name`."""
    raw = stream.read()
    records = adapters.parse(io.BytesIO(raw), source)
    name = list_name or source
    list_type = adapters.list_type(source, records)
    previous = repository.current_snapshot(session, name)
    if previous is not None and previous.list_type != list_type:
        raise adapters.ListFormatError(f"list {name} holds {previous.list_type} entries, not {list_type}")
    before = repository.entry_hashes(session, previous.id) if previous else {}
    hashes = {r.entity_id: r.content_hash() for r in records}
    diff = {
        "added": sorted(k for k in hashes if k not in before),
        "changed": sorted(k for k in hashes if k in before and before[k] != hashes[k]),
        "removed": sorted(k for k in before if k not in hashes),
    }
    if previous is not None and not any(diff.values()):
        return LoadResult(previous, True)
    snapshot = ListSnapshot(
        id=new_id("lsnap"), list_name=name, source=source, list_type=list_type, version=repository.next_version(session, name),
        current=True, entry_count=len(records), diff=diff, file_sha256=hashlib.sha256(raw).hexdigest(),
        summary={
            "entries": len(records), "people": sum(r.schema == "Person" for r in records),
            "names": sum(len(r.names) for r in records), "without-birthdate": sum(not r.birth_dates for r in records),
            **{k: len(v) for k, v in diff.items()},
        },
    )
    repository.retire(session, name)
    session.add(snapshot)
    session.flush()
    batch = []
    for done, record in enumerate(records, 1):
        batch.append({"id": new_id("lent"), "snapshot_id": snapshot.id, "entity_id": record.entity_id,
                      "content_hash": hashes[record.entity_id], "record": record.as_dict()})
        if len(batch) == 2000:
            repository.add_entries(session, batch)
            batch = []
        if progress:
            progress(done, len(records))
    repository.add_entries(session, batch)
    return LoadResult(snapshot, False)


# ------------------------------------------------------------------ the in-process index of current lists

_cache: dict[tuple[str, ...], Index] = {}
_lock = threading.Lock()


def index_for(session: Session, list_type: str, list_names: list[str]) -> tuple[Index, dict[str, ListSnapshot]]:
    """The blocking index over the current snapshots of the wanted lists, built once per set of snapshots."""
    snapshots = {s.list_name: s for s in repository.current_snapshots(session) if s.list_type == list_type and (not list_names or s.list_name in list_names)}
    key = tuple(sorted(s.id for s in snapshots.values()))
    with _lock:
        index = _cache.get(key)
        if index is None:
            index = Index()
            for snapshot in snapshots.values():
                for entry in repository.entries(session, snapshot.id):
                    index.add(snapshot.list_name, Record.from_dict(entry.record))
            if len(_cache) > 8:
                _cache.clear()
            _cache[key] = index
    return index, snapshots
