"""Typed fields: written plain (`{"name-first": "Jane"}`), stored and read typed
(`{"name-first": {"type": "string", "value": "Jane"}}`). Shared by inquiries and accounts."""

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from openidv.kit.errors import bad_request
from openidv.kit.inflection import inflect_key

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FIELDS = 200


def _infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "hash"
    return "string"


def _anything(_value: Any) -> bool:
    return True


_VALID: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "email-address": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "multi-choices": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "hash": lambda v: isinstance(v, dict),
    "json": _anything,
    "choices": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str) and bool(_DATE.match(v)),
    "datetime": lambda v: isinstance(v, str),
    "file": lambda v: isinstance(v, dict),
}


def _check(key: str, kind: str, value: Any, where: str) -> Any:
    if value is None:
        return None
    ok = _VALID.get(kind, _anything)
    if not ok(value):
        raise bad_request(f"{where}.{key} must be a valid {kind.replace('-', ' ')}")
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise bad_request(f"{where}.{key} must be a valid date (YYYY-MM-DD)") from None
    if kind == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"{where}.{key} must be a valid ISO 8601 datetime") from None
    if isinstance(value, str) and len(value) > 10_000:
        raise bad_request(f"{where}.{key} is too long")
    return value


def normalise(
    written: dict[str, Any], schema: dict[str, tuple[str, list[str] | None]] | None = None, where: str = "data.attributes.fields"
) -> dict[str, dict[str, Any]]:
    """Validate plain written values against an optional {key: (type, choices)} schema; return typed fields.

    Keys sent in snake or camel case land on the schema's kebab key when one matches.
    """
    if not isinstance(written, dict):
        raise bad_request(f"{where} must be an object")
    if len(written) > MAX_FIELDS:
        raise bad_request(f"{where} has too many keys (at most {MAX_FIELDS})")
    schema = schema or {}
    typed: dict[str, dict[str, Any]] = {}
    for raw_key, value in written.items():
        if not isinstance(raw_key, str) or not raw_key or len(raw_key) > 100:
            raise bad_request(f"{where} keys must be non-empty strings of at most 100 characters")
        key = raw_key if raw_key in schema else inflect_key(raw_key, "kebab")
        if key not in schema and raw_key not in schema:
            key = key if key in STANDARD_KEYS else raw_key
        if isinstance(value, dict) and set(value) <= {"type", "value"} and "value" in value:
            value = value["value"]  # accept the read shape back
        kind, choices = schema.get(key, (None, None))
        kind = kind or STANDARD_TYPES.get(key) or _infer_type(value)
        value = _check(key, kind, value, where)
        if choices and value is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if v not in choices]
            if bad:
                raise bad_request(f"{where}.{key} must be one of: {', '.join(choices)}")
        typed[key] = {"type": kind.replace("-", "_") if kind == "multi-choices" else kind, "value": value}
    return typed


STANDARD_KEYS = frozenset({
    "name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2", "address-city",
    "address-subdivision", "address-postal-code", "address-country-code", "email-address", "phone-number",
    "identification-number", "identification-class", "selected-country-code", "selected-id-class",
})

# Persona's schemas type the standard keys (`birthdate` is a date string) when no template field says otherwise.
STANDARD_TYPES = {key: "date" if key == "birthdate" else "string" for key in STANDARD_KEYS}


def value_of(fields: dict[str, Any], key: str) -> Any:
    item = fields.get(key)
    return item.get("value") if isinstance(item, dict) else item


def full_name(fields: dict[str, Any]) -> str | None:
    parts = [value_of(fields, k) for k in ("name-first", "name-middle", "name-last")]
    name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return name or None
