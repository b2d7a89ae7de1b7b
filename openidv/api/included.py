"""`include=a,b`: related objects rendered next to `data`. Each family offers how to load its type;
the composition root (`openidv.wiring`) installs them. An included object is read like the object itself:
one the caller's key may not read (its own endpoint would answer 403) is left out of `included`, while the
relationship's identifiers, which carry no data, stay."""

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.errors import bad_request

Loader = Callable[[Session, str, str], dict[str, Any] | None]
_loaders: dict[str, Loader] = {}

# The permission that reads each type, the one its own GET endpoint requires (by type or family before the slash).
READ_PERMISSION: dict[str, str] = {
    "inquiry": "inquiry.read",
    "inquiry-session": "inquiry.read",
    "inquiry-template": "inquiry.read",
    "inquiry-template-version": "inquiry.read",
    "account": "account.read",
    "document": "document.read",
    "verification": "verification.read",
    "report": "report.read",
    "case": "case.read",
    "case-template": "case.read",
    "case-comment": "case.read",
}


def install(loaders: dict[str, Loader]) -> None:
    """Keys are JSON:API types or their family before the slash (`verification` covers `verification/selfie`).
    Every type must have its read permission in READ_PERMISSION."""
    unguarded = sorted(set(loaders) - set(READ_PERMISSION))
    if unguarded:
        raise ValueError(f"include loaders without a read permission: {', '.join(unguarded)}")
    _loaders.clear()
    _loaders.update(loaders)


def _loader_for(kind: str) -> Loader | None:
    return _loaders.get(kind) or _loaders.get(kind.split("/")[0])


def may_read(kind: str, permissions: Collection[str]) -> bool:
    """Whether a key holding `permissions` may read an object of JSON:API type `kind` (unknown types: no)."""
    needed = READ_PERMISSION.get(kind) or READ_PERMISSION.get(kind.split("/")[0])
    return needed is not None and needed in permissions


def collect(
    session: Session,
    environment_id: str,
    data: dict[str, Any],
    paths: list[str] | None,
    *,
    permissions: Collection[str] | None = None,
) -> list[dict[str, Any]] | None:
    """None when `include` was not asked (the key is then left out); a list otherwise. `permissions` are the
    calling key's: objects it may not read are left out. None only for deliveries made by the server itself
    (webhooks, whose own allowlists decide)."""
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
            if permissions is not None and not may_read(item["type"], permissions):
                continue
            rendered = loader(session, environment_id, item["id"])
            if rendered is not None:
                included.append(rendered)
    return included


def document(
    session: Session,
    environment_id: str,
    data: dict[str, Any],
    paths: list[str] | None,
    *,
    permissions: Collection[str],
    **extra: Any,
) -> dict[str, Any]:
    """`data` with what `include` asks for that a key holding `permissions` may read."""
    doc: dict[str, Any] = {"data": data}
    included = collect(session, environment_id, data, paths, permissions=permissions)
    if included is not None:
        doc["included"] = included
    doc.update(extra)
    return doc
