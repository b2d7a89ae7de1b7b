"""Persona-style identifiers: `<prefix>_<24 base-62 characters>`."""

import secrets
import string

_ALPHABET = string.digits + string.ascii_letters


def new_id(prefix: str, length: int = 24) -> str:
    # One read of the OS random source per id (not one per character); 256 bits make the modulo bias negligible.
    number = int.from_bytes(secrets.token_bytes(32 + length // 24 * 32), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, 62)
        chars.append(_ALPHABET[index])
    return prefix + "_" + "".join(chars)


def has_prefix(value: object, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix + "_") and len(value) > len(prefix) + 1
