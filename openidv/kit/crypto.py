"""PII at rest: AES-256-GCM envelope encryption with a key ring and row-bound associated data.

Each value is sealed under a fresh data key; the data key is wrapped by the current master key of
the ring. The associated data binds a ciphertext to its row (e.g. the inquiry id), so a value copied
into another row does not decrypt. Old master keys stay in the ring to open old values, which is all
rotation needs. Blind indexes (HMAC-SHA256 under a separate key) allow equality look-ups.
"""

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openidv.kit.jsonapi import dumps, loads

_VERSION = b"\x01"


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]  # key id -> 32-byte master key
    current: str
    index_key: bytes

    @classmethod
    def from_setting(cls, value: str, index_key: str) -> "KeyRing":
        """`value` is `kid:base64key[,kid:base64key...]`; the first key seals new values."""
        keys: dict[str, bytes] = {}
        current = ""
        for part in value.split(","):
            kid, _, b64 = part.strip().partition(":")
            raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
            if len(raw) != 32:
                raise ValueError(f"encryption key {kid!r} must be 32 bytes")
            keys[kid] = raw
            current = current or kid
        if not keys:
            raise ValueError("empty encryption key ring")
        return cls(keys=keys, current=current, index_key=base64.urlsafe_b64decode(index_key + "=" * (-len(index_key) % 4)))

    def seal(self, plaintext: bytes, associated: str) -> bytes:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce, wrap_nonce = os.urandom(12), os.urandom(12)
        body = AESGCM(data_key).encrypt(nonce, plaintext, associated.encode())
        wrapped = AESGCM(self.keys[self.current]).encrypt(wrap_nonce, data_key, self.current.encode())
        kid = self.current.encode()
        return _VERSION + bytes([len(kid)]) + kid + wrap_nonce + wrapped + nonce + body

    def open(self, sealed: bytes, associated: str) -> bytes:
        if not sealed or sealed[:1] != _VERSION:
            raise ValueError("unknown ciphertext format")
        klen = sealed[1]
        kid = sealed[2 : 2 + klen].decode()
        rest = sealed[2 + klen :]
        wrap_nonce, wrapped, nonce, body = rest[:12], rest[12:60], rest[60:72], rest[72:]
        data_key = AESGCM(self.keys[kid]).decrypt(wrap_nonce, wrapped, kid.encode())
        return AESGCM(data_key).decrypt(nonce, body, associated.encode())

    def blind_index(self, purpose: str, value: str) -> str:
        normalised = " ".join(value.casefold().split())
        return hmac.new(self.index_key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


_ring: KeyRing | None = None


def install(ring: KeyRing) -> None:
    """Called once at start-up (app, worker, CLI) from the settings."""
    global _ring
    _ring = ring


def ring() -> KeyRing:
    if _ring is None:
        raise RuntimeError("encryption key ring not installed; build the app or call openidv.config.bootstrap()")
    return _ring


def seal_json(value: Any, associated: str) -> bytes | None:
    if value is None:
        return None
    return ring().seal(dumps(value, sort_keys=True), associated)


def open_json(sealed: bytes | None, associated: str) -> Any:
    if sealed is None:
        return None
    return loads(ring().open(bytes(sealed), associated))
