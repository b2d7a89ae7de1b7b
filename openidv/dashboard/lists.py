"""The dashboard's screening-list pages: the lists in service (version, last update, size, what the last load changed)
and one snapshot with its list's versions and its changes by name. Lists are loaded with `openidv lists load`;
these pages only read."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages
from openidv.kit.errors import not_found
from openidv.models import ListSnapshot
from openidv.reports import repository

router = APIRouter(include_in_schema=False)
HOME = f"{pages.HOME}/lists"
SHOWN = 200  # entries named per kind of change; the counts say how many there are in all


def _names(db: Session, snapshot: ListSnapshot | None, entity_ids: list[str]) -> list[tuple[str, str]]:
    """(entity id, primary name) of the first SHOWN ids, read from the snapshot that holds them."""
    wanted = entity_ids[:SHOWN]
    if snapshot is None or not wanted:
        return [(entity_id, "") for entity_id in wanted]
    names = {e.entity_id: ((e.record.get("names") or [{}])[0].get("full") or "") for e in repository.entries(db, snapshot.id, wanted)}
    return [(entity_id, names.get(entity_id, "")) for entity_id in wanted]


@router.get(HOME)
def list_index(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        return "lists.html", {"snapshots": repository.current_snapshots(db), "title": "Screening lists"}

    return pages.page(request, build)


@router.get(HOME + "/{snapshot_id}")
def snapshot_page(request: Request, snapshot_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        snapshot = repository.snapshot(db, snapshot_id)
        if snapshot is None:
            raise not_found("list snapshot", snapshot_id)
        previous = repository.snapshot_version(db, snapshot.list_name, snapshot.version - 1)
        diff = snapshot.diff or {}
        changes = {
            "added": _names(db, snapshot, diff.get("added", [])),
            "changed": _names(db, snapshot, diff.get("changed", [])),
            "removed": _names(db, previous, diff.get("removed", [])),  # gone from this one: named by the version before
        }
        return "list.html", {"snapshot": snapshot, "previous": previous, "versions": repository.versions_of(db, snapshot.list_name),
                             "changes": changes, "counts": {k: len(diff.get(k, [])) for k in changes}, "shown": SHOWN,
                             "title": f"List {snapshot.list_name} version {snapshot.version}"}

    return pages.page(request, build)
