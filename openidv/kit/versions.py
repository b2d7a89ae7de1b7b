"""`Persona-Version`: which response shapes a request gets.

Resources are rendered once in the 2025-12-08 shape; `adapt()` turns that into the 2023-01-05 shape
(top-level PII copied out of `fields`). Values up to 2023-01-05 get 2023-01-05 shapes; 2025-10-27 and
2025-12-08 get 2025-12-08 shapes.
"""

from typing import Any

from openidv.kit.errors import ApiError

V2023 = "2023-01-05"
V2025 = "2025-12-08"
DEFAULT = V2025
KNOWN = ("2025-12-08", "2025-10-27", "2023-01-05", "2022-09-01", "2021-08-18", "2021-07-05", "2021-02-21", "2020-05-18")

INQUIRY_PII = (
    "name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2", "address-city",
    "address-subdivision", "address-subdivision-abbr", "address-postal-code", "address-postal-code-abbr",
    "social-security-number", "identification-number", "email-address", "phone-number",
)
ACCOUNT_PII = (
    "name-first", "name-middle", "name-last", "birthdate", "phone-number", "email-address", "address-street-1",
    "address-street-2", "address-city", "address-subdivision", "address-postal-code", "country-code",
    "social-security-number",
)


def resolve(header: str | None, key_default: str | None = None) -> str:
    value = (header or key_default or DEFAULT).strip()
    if value not in KNOWN:
        raise ApiError(400, f"Persona-Version {value!r} is not supported; use one of {', '.join(KNOWN)}")
    return shape_of(value)


def shape_of(version: str) -> str:
    return V2023 if version <= V2023 else V2025


def _field_value(fields: dict[str, Any], key: str) -> Any:
    item = fields.get(key) or fields.get(key.replace("-", "_"))
    value = item.get("value") if isinstance(item, dict) else item
    # The 2023-01-05 schemas type these attributes as string or null, whatever a field holds.
    if value is None or isinstance(value, str):
        return value
    return None if isinstance(value, (dict, list)) else str(value)


def adapt(resource: dict[str, Any], version: str) -> dict[str, Any]:
    """Return the resource in `version`'s shape (the input is not modified)."""
    if version != V2023 or not isinstance(resource, dict):
        return resource
    kind = resource.get("type")
    if kind not in ("inquiry", "account"):
        return resource
    attributes = dict(resource.get("attributes") or {})
    fields = attributes.get("fields") or {}
    for key in INQUIRY_PII if kind == "inquiry" else ACCOUNT_PII:
        attributes[key] = _field_value(fields, key)
    if kind == "account":
        attributes["identification-numbers"] = {}
    return {**resource, "attributes": attributes}
