"""How each model renders into an event payload (registered by the resource families at import)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Renderer = Callable[[Session, Any], dict[str, Any]]
_renderers: dict[type, tuple[str, Renderer]] = {}


def register(model: type, object_type: str, renderer: Renderer) -> None:
    _renderers[model] = (object_type, renderer)


def render(session: Session, obj: Any) -> tuple[str, dict[str, Any]]:
    try:
        object_type, renderer = _renderers[type(obj)]
    except KeyError:
        raise RuntimeError(f"no event snapshot renderer registered for {type(obj).__name__}") from None
    return object_type, renderer(session, obj)
