"""Recording events. Follow-ups (webhook fan-out, ...) run in the same transaction as the event."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from openidv.events import snapshot
from openidv.kit.clock import now
from openidv.kit.ids import new_id
from openidv.models import Event

FollowUp = Callable[[Session, Event], None]
_follow_ups: list[FollowUp] = []


def on_event(follow_up: FollowUp) -> FollowUp:
    """Register work to start, in the caller's transaction, whenever an event is recorded."""
    if follow_up not in _follow_ups:
        _follow_ups.append(follow_up)
    return follow_up


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


def scrub_object(session: Session, object_id: str) -> None:
    """Redaction: earlier snapshots of the object lose their `fields` (PII) too."""
    from openidv.events import repository

    for event in repository.of_object(session, object_id):
        payload = event.payload
        attributes = (payload.get("data") or {}).get("attributes") or {}
        if "fields" in attributes:
            attributes["fields"] = {}
            event.payload = payload
