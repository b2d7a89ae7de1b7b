"""Rules for API keys managed through the API: a key grants only permissions its creator holds, and expiring
takes effect in this process at once (the authentication cache is cleared)."""

import ipaddress
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv.api_keys import repository
from openidv.auth import permissions as known_permissions, service as auth
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, not_found
from openidv.kit.inflection import parse_inflection
from openidv.kit.jsonapi import get_int, get_str, get_str_list
from openidv.kit.versions import KNOWN as VERSIONS
from openidv.models import ApiKey

WHERE = "data.attributes"


def load(db: Session, environment_id: str, key_id: str) -> ApiKey:
    key = repository.get(db, environment_id, key_id)
    if key is None or key.revoked_at is not None:
        raise not_found("api key", key_id)
    return key


def _settings(attributes: dict[str, Any], holder: ApiKey) -> dict[str, Any]:
    """The attributes a create or update may set, checked."""
    out: dict[str, Any] = {}
    name = get_str(attributes, "name", WHERE, max_length=200)
    if name is not None:
        out["name"] = name
    note = get_str(attributes, "note", WHERE)
    if note is not None:
        out["note"] = note
    version = get_str(attributes, "api-version", WHERE, max_length=20)
    if version is not None:
        if version not in VERSIONS:
            raise ApiError(400, f"{WHERE}.api-version must be one of {', '.join(VERSIONS)}")
        out["api_version"] = version
    inflection = get_str(attributes, "api-key-inflection", WHERE, max_length=10)
    if inflection is not None:
        if inflection not in ("kebab", "camel", "snake"):
            raise ApiError(400, f"{WHERE}.api-key-inflection must be kebab, camel or snake")
        out["inflection"] = parse_inflection(inflection)
    permissions = get_str_list(attributes, "permissions", WHERE)
    if permissions is not None:
        unknown = sorted(set(permissions) - set(known_permissions.KNOWN))
        if unknown:
            raise ApiError(400, f"{WHERE}.permissions: unknown permissions: {', '.join(unknown)}")
        lacking = sorted(set(permissions) - set(holder.permissions))
        if lacking:
            raise ApiError(403, f"API key cannot grant permissions it does not have: {', '.join(lacking)}")
        out["permissions"] = sorted(set(permissions))
    allowlist = get_str_list(attributes, "ip-address-allowlist", WHERE)
    if allowlist is not None:
        for entry in allowlist:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ApiError(400, f"{WHERE}.ip-address-allowlist: {entry!r} is not an IP address or network") from None
        out["ip_allowlist"] = allowlist or ["*"]
    blocklist = get_str_list(attributes, "api-attributes-blocklist", WHERE)
    if blocklist is not None:
        out["api-attributes-blocklist"] = blocklist
    expires_in = get_int(attributes, "file-access-token-expires-in", WHERE, minimum=1, maximum=7 * 86400)
    if expires_in is not None:
        out["file-access-token-expires-in"] = expires_in
    return out


def _apply(key: ApiKey, settings: dict[str, Any]) -> None:
    options = dict(key.options or {})
    for name in ("api-attributes-blocklist", "file-access-token-expires-in"):
        if name in settings:
            options[name] = settings.pop(name)
    key.options = options
    for name, value in settings.items():
        setattr(key, name, value)


def create(db: Session, environment_id: str, attributes: dict[str, Any], holder: ApiKey) -> auth.NewApiKey:
    get_str(attributes, "name", WHERE, required=True, max_length=200)
    settings = _settings(attributes, holder)
    environment = repository.environment(db, environment_id)
    assert environment is not None
    made = auth.create_api_key(db, environment, granted=settings.pop("permissions", list(holder.permissions)))
    _apply(made.key, settings)
    db.flush()
    return made


def update(db: Session, key: ApiKey, attributes: dict[str, Any], holder: ApiKey) -> None:
    _apply(key, _settings(attributes, holder))
    db.flush()
    auth.forget_recent_keys()


def expire(db: Session, key: ApiKey, seconds: int) -> None:
    key.expires_at = now() + timedelta(seconds=seconds)
    db.flush()
    auth.forget_recent_keys()


def clone(db: Session, key: ApiKey) -> auth.NewApiKey:
    environment = repository.environment(db, key.environment_id)
    assert environment is not None
    made = auth.create_api_key(db, environment, name=key.name, granted=list(key.permissions), api_version=key.api_version, inflection=key.inflection)
    made.key.note, made.key.ip_allowlist, made.key.options = key.note, list(key.ip_allowlist), dict(key.options or {})
    db.flush()
    return made
