"""Photo intake shared by the verification kinds that take pictures (government ID, selfie):
`{"data": <base64>, "filename"}` objects or raw multipart file parts (read by
`photo_endpoints.multipart`), checked for size and type by content before anything is stored."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from openidv.checks import quality
from openidv.kit.errors import ApiError, bad_request

ATTR = "data.attributes"


def decode(value: Any, key: str) -> bytes:
    """One photo: raw bytes (a multipart part) or `{"data": <base64 or data: URL>, "filename"}`."""
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        if not isinstance(value, dict):
            raise bad_request(f"{ATTR}.{key} must be an object with base64 data")
        raw = value.get("data")
        if not isinstance(raw, str):
            raise bad_request(f"{ATTR}.{key}.data must be a base64 string")
        if raw.startswith("data:"):
            raw = raw.partition(",")[2]
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(f"{ATTR}.{key}.data is not valid base64") from None
    try:
        quality.check_size(data)
    except quality.ImageRejected as exc:
        raise ApiError(422, f"{key}: {exc}", title="Unprocessable entity", pointer=f"/data/attributes/{key}") from None
    if quality.sniff(data) is None:
        raise ApiError(422, f"{key}: file is not a JPEG, PNG, WebP or HEIC image", title="Unprocessable entity",
                       pointer=f"/data/attributes/{key}")
    return data


def photo(attrs: dict[str, Any], key: str) -> bytes | None:
    value = attrs.get(key)
    return None if value is None else decode(value, key)
