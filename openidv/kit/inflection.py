"""Key-Inflection: response keys in kebab (default), camel or snake case; requests in any of the three."""

import re
from typing import Any

INFLECTIONS = ("kebab", "camel", "snake")
_WORD_BREAK = re.compile(r"[-_]+|(?<=[a-z0-9])(?=[A-Z])")


def words(key: str) -> list[str]:
    return [w.lower() for w in _WORD_BREAK.split(key) if w]


def inflect_key(key: str, inflection: str) -> str:
    parts = words(key)
    if not parts:
        return key
    if inflection == "snake":
        return "_".join(parts)
    if inflection == "camel":
        return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return "-".join(parts)


def parse_inflection(header: str | None) -> str:
    """`snake_case` and other spellings real clients send map onto the three inflections."""
    if not header:
        return "kebab"
    value = header.strip().lower()
    for name in INFLECTIONS:
        if value.startswith(name):
            return name
    return "kebab"


def inflect(value: Any, inflection: str, *, raw_keys_under: frozenset[str] = frozenset()) -> Any:
    """Rename every key recursively; keys below a key named in `raw_keys_under` are left alone."""
    if inflection == "kebab":
        return value  # responses are built in kebab case already
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new_key = inflect_key(key, inflection) if isinstance(key, str) else key
            if key in raw_keys_under:
                out[new_key] = item
            else:
                out[new_key] = inflect(item, inflection, raw_keys_under=raw_keys_under)
        return out
    if isinstance(value, list):
        return [inflect(item, inflection, raw_keys_under=raw_keys_under) for item in value]
    return value


def kebab_keys(value: Any, *, raw_keys_under: frozenset[str] = frozenset({"fields"})) -> Any:
    """Normalise request bodies to kebab case; field keys are the template's and stay as sent."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new_key = inflect_key(key, "kebab") if isinstance(key, str) else key
            out[new_key] = item if key in raw_keys_under or new_key in raw_keys_under else kebab_keys(item, raw_keys_under=raw_keys_under)
        return out
    if isinstance(value, list):
        return [kebab_keys(item, raw_keys_under=raw_keys_under) for item in value]
    return value
