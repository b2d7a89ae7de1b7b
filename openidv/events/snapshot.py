"""How each model renders into an event payload: each resource family offers its renderer, and the
composition root (`openidv.wiring`) installs them all."""

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

Renderer = Callable[[Session, Any], dict[str, Any]]
_renderers: dict[type, tuple[str, Renderer]] = {}


def install(snapshots: Iterable[tuple[type, str, Renderer]]) -> None:
    """(model, JSON:API type, renderer) for every model that events are recorded on."""
    _renderers.clear()
    _renderers.update({model: (object_type, renderer) for model, object_type, renderer in snapshots})


def render(session: Session, obj: Any) -> tuple[str, dict[str, Any]]:
    try:
        object_type, renderer = _renderers[type(obj)]
    except KeyError:
        raise RuntimeError(f"no event snapshot renderer registered for {type(obj).__name__}") from None
    return object_type, renderer(session, obj)
