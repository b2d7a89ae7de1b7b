"""`include=a,b`: related objects rendered next to `data`. Each family offers how to load its type;
the composition root (`openidv.wiring`) installs them."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.errors import bad_request

Loader = Callable[[Session, str, str], dict[str, Any] | None]
_loaders: dict[str, Loader] = {}


def install(loaders: dict[str, Loader]) -> None:
    """Keys are JSON:API types or their family before the slash (`verification` covers `verification/selfie`)."""
    _loaders.clear()
    _loaders.update(loaders)


def _loader_for(kind: str) -> Loader | None:
    return _loaders.get(kind) or _loaders.get(kind.split("/")[0])


def collect(session: Session, environment_id: str, data: dict[str, Any], paths: list[str] | None) -> list[dict[str, Any]] | None:
    """None when `include` was not asked (the key is then left out); a list otherwise."""
    if paths is None:
        return None
    included: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    relationships = data.get("relationships") or {}
    for path in paths:
        head = path.split(".")[0]
        if head not in relationships:
            raise bad_request(f"include path {path!r} is not a relationship of {data.get('type')}")
        linkage = relationships[head].get("data")
        for item in linkage if isinstance(linkage, list) else [linkage] if linkage else []:
            key = (item["type"], item["id"])
            loader = _loader_for(item["type"])
            if key in seen or loader is None:
                continue
            seen.add(key)
            rendered = loader(session, environment_id, item["id"])
            if rendered is not None:
                included.append(rendered)
    return included


def document(session: Session, environment_id: str, data: dict[str, Any], paths: list[str] | None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"data": data}
    included = collect(session, environment_id, data, paths)
    if included is not None:
        doc["included"] = included
    doc.update(extra)
    return doc
