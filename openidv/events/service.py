"""Recording events. Follow-ups (webhook fan-out, ...) run in the same transaction as the event."""

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from openidv.events import repository, snapshot
from openidv.kit.clock import now
from openidv.kit.ids import new_id
from openidv.models import Event

FollowUp = Callable[[Session, Event], None]
_follow_ups: list[FollowUp] = []


def install_follow_ups(follow_ups: Iterable[FollowUp]) -> None:
    """The work every recorded event starts in the caller's transaction (webhook fan-out, report orders),
    as the composition root lists it."""
    _follow_ups[:] = list(follow_ups)


def record(session: Session, obj: Any, name: str, *, actor: str | None = None, context: dict[str, Any] | None = None) -> Event:
    object_type, data = snapshot.render(session, obj)
    event = Event(
        id=new_id("evt"),
        environment_id=obj.environment_id,
        name=name,
        object_type=object_type,
        object_id=obj.id,
        actor=actor,
        created_at=now(),
    )
    event.payload = {"data": data, "context": context or {}}
    session.add(event)
    for follow_up in _follow_ups:
        follow_up(session, event)
    return event


# What a redacted object's earlier snapshots keep: its status, timestamps and labels; the rest may be PII
# (fields, note, reviewer comment, names, numbers, addresses, check metadata...).
_KEPT_ATTRIBUTES = frozenset({"status", "tags", "reference-id", "kind", "id-class", "capture-method", "country-code"})
_KEPT_CHECK_KEYS = ("name", "status", "reasons", "requirement")


def _scrubbed(key: str, value: Any, keep: frozenset[str] | None) -> Any:
    if (key in keep) if keep is not None else (key in _KEPT_ATTRIBUTES or key.endswith("-at")):
        return value
    if key == "checks" and isinstance(value, list):
        return [{k: check.get(k) for k in _KEPT_CHECK_KEYS if k in check} for check in value if isinstance(check, dict)]
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return None


def scrub_object(session: Session, object_id: str, keep: frozenset[str] | None = None) -> None:
    """Redaction: earlier snapshots of the object lose their PII too (shape kept: empty objects, lists, nulls).
    `keep` names the attributes to keep instead of the default (statuses, timestamps, labels)."""
    for event in repository.of_object(session, object_id):
        payload = dict(event.payload)
        data = dict(payload.get("data") or {})
        attributes = data.get("attributes") or {}
        data["attributes"] = {key: _scrubbed(key, value, keep) for key, value in attributes.items()}
        payload["data"] = data
        event.payload = payload
