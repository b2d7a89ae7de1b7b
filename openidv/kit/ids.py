"""Persona-style identifiers: `<prefix>_<24 base-62 characters>`."""

import secrets
import string

_ALPHABET = string.digits + string.ascii_letters


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def has_prefix(value: object, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix + "_") and len(value) > len(prefix) + 1
