"""The API key resource (2025-12-08 kebab form; the same in 2023-01-05). The secret itself is only in the
answers of create and clone (`value`), never stored."""

from typing import Any

from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.kit.versions import DEFAULT
from openidv.models import ApiKey

FILE_ACCESS_TOKEN_EXPIRES_IN = 21600


def render_api_key(key: ApiKey, *, value: str | None = None) -> dict[str, Any]:
    options = key.options or {}
    attributes: dict[str, Any] = {
        "name": key.name,
        "note": key.note,
        "api-version": key.api_version or DEFAULT,
        "api-key-inflection": key.inflection or "kebab",
        "api-attributes-blocklist": list(options.get("api-attributes-blocklist", [])),
        "permissions": list(key.permissions),
        "ip-address-allowlist": list(key.ip_allowlist),
        "file-access-token-expires-in": options.get("file-access-token-expires-in", FILE_ACCESS_TOKEN_EXPIRES_IN),
        "last-used-at": None,
        "expires-at": iso(key.expires_at) if key.expires_at else None,
        "created-at": iso(key.created_at),
    }
    if value is not None:
        attributes["value"] = value
    return resource("api-key", key.id, attributes)
