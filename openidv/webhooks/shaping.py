"""What one webhook receives of an event: its payload filter, attribute blocklist and the included and
relationship allowlists (COMPAT.md §8). Options are checked when a webhook is saved, applied at fan-out."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from openidv.api import included as included_registry
from openidv.kit.errors import ApiError
from openidv.kit.jsonapi import drop_blocked_attributes

INCLUDED_STATES = ("include_all", "include_none", "custom")
RELATIONSHIP_STATES = ("include_all", "include_none")


def _invalid(key: str, message: str) -> ApiError:
    return ApiError(422, f"{key} {message}", pointer=f"/data/attributes/{key}")


def validate(key: str, value: Any) -> Any:
    """The stored form of one shaping option, or a 422 naming what is wrong with it."""
    if key == "payload-filter":
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) - {"data"}:
            raise _invalid(key, 'must be an object like {"data": {...}}')
        return value
    if key == "api-attributes-blocklist":
        if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value) or len(value) > 100:
            raise _invalid(key, "must be a list of up to 100 attribute names or /paths (* matches within a name)")
        return value
    if key in ("included-allowlist", "relationship-allowlist"):
        states = INCLUDED_STATES if key == "included-allowlist" else RELATIONSHIP_STATES
        if not isinstance(value, dict) or value.get("state") not in states:
            raise _invalid(key, f"must be an object whose state is one of {', '.join(states)}")
        if value["state"] != "custom":
            return {"state": value["state"]}
        return _custom_included(key, value.get("event-types"))
    return value


def _custom_included(key: str, entries: Any) -> dict[str, Any]:
    """`{"state": "custom", "event-types": [{"event-type", "relationships": [...] | ["*"]}]}`; all `*` is include_all."""
    if not isinstance(entries, list) or not 1 <= len(entries) <= 200:
        raise _invalid(key, "event-types must list 1 to 200 {event-type, relationships} objects")
    seen: set[str] = set()
    for entry in entries:
        names = entry.get("relationships") if isinstance(entry, dict) else None
        kind = entry.get("event-type") if isinstance(entry, dict) else None
        if not isinstance(kind, str) or not kind or kind in seen or not isinstance(names, list) or not names \
                or not all(isinstance(n, str) and n for n in names) or ("*" in names and len(names) > 1):
            raise _invalid(key, "each event-types entry needs a distinct event-type and relationships (names, or [\"*\"])")
        seen.add(kind)
    if all(entry["relationships"] == ["*"] for entry in entries):
        return {"state": "include_all"}
    return {"state": "custom", "event-types": [{"event-type": e["event-type"], "relationships": e["relationships"]} for e in entries]}


def is_subset(pattern: Any, value: Any) -> bool:
    """Objects match when every key of the pattern matches; a list pattern's items each match some item."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and is_subset(v, value[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(is_subset(p, v) for v in value) for p in pattern)
    return pattern == value


def accepts(options: dict[str, Any], payload: dict[str, Any]) -> bool:
    """A webhook with a payload filter gets only the events whose payload contains the filter."""
    wanted = options.get("payload-filter")
    return not wanted or is_subset(wanted, payload)


def _included_relationships(options: dict[str, Any], event_name: str, data: dict[str, Any]) -> list[str]:
    """Which relationships of the payload object to include; an entry's event-type is the event's name or its
    object type (`inquiry` covers `inquiry.approved`)."""
    allow = options.get("included-allowlist") or {"state": "include_none"}
    present = list(data.get("relationships") or {})
    if allow.get("state") == "include_all":
        return present
    if allow.get("state") != "custom":
        return []
    object_type = event_name.rsplit(".", 1)[0]
    for entry in allow.get("event-types") or []:
        if entry.get("event-type") in (event_name, object_type):
            names = entry.get("relationships") or []
            return present if names == ["*"] else [n for n in names if n in present]
    return []


def shape(db: Session, environment_id: str, event_name: str, payload: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The payload as this webhook receives it (a new object; the stored event is not touched)."""
    data = copy.deepcopy(payload.get("data") or {})
    wanted = _included_relationships(options, event_name, data)
    included = (included_registry.collect(db, environment_id, data, wanted) or []) if wanted else []
    if (options.get("relationship-allowlist") or {}).get("state") == "include_none":
        data.pop("relationships", None)
    patterns = options.get("api-attributes-blocklist") or []
    for resource in [data, *included]:
        drop_blocked_attributes(resource, patterns)
    return {"data": data, "included": included}
