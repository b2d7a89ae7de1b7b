"""JSON:API rendering of events. The API shows `payload.data`; webhook bodies add `payload.included`."""

from typing import Any

from openidv.kit import versions
from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.models import Event


def render_event(event: Event, version: str = versions.V2025, *, with_included: bool = False) -> dict[str, Any]:
    stored = event.payload
    payload: dict[str, Any] = {"data": versions.adapt(stored.get("data") or {}, version)}
    if with_included:
        payload["included"] = []
    return resource("event", event.id, {"name": event.name, "payload": payload, "created-at": iso(event.created_at)})
