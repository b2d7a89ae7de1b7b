"""Where this process keeps its sealed files (`Files.store`, openidv.kit.storage), and their expiring signed links (verification photos,
document files). Configured from the settings by the composition root (`openidv.wiring`), in the
server, standalone job workers and the CLI alike.

A link needs no API key: `access_token` is `<expires>.<environment id>.<mac>`, the MAC covering the
environment, the object, the part and the expiry. The environment is the one of the object the link points
to, which every caller passes (`url(..., environment_id)`): a link rendered by an API request, a job (webhook
payloads, event snapshots) or the CLI is bound alike, with no context needed. The serving endpoint checks it
against the object's own environment, so a link signed for the sandbox never opens a production object.
`verify` still takes a token signed for `-` (no environment): links rendered outside a request before every
link carried its environment, bound only by the object id; they expire within URL_SECONDS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any

from openidv.kit import storage

URL_SECONDS = 21600  # a link works for 6 hours
UNBOUND = "-"  # only accepted, never signed any more
_TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$")


class Files:
    store: storage.Store = storage.FolderStore(Path("./openidv-data/files"))  # until configure() runs
    secret: str = ""
    base_url: str = "http://127.0.0.1:8000"


def configure(settings: Any) -> None:
    Files.store, Files.secret, Files.base_url = settings.store, settings.secrets["secret_key"], settings.base_url


def _mac(environment_id: str, object_id: str, part: str, expires: int) -> str:
    message = f"{environment_id}:{object_id}:{part}:{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(Files.secret.encode(), message, hashlib.sha256).digest()).decode().rstrip("=")


def sign(object_id: str, part: str, expires: int, environment_id: str) -> str:
    if not environment_id:
        raise ValueError("a signed link needs the environment of the object it points to")
    return f"{expires}.{environment_id}.{_mac(environment_id, object_id, part, expires)}"


def verify(object_id: str, part: str, token: str, environment_id: str | None = None) -> bool:
    """Whether `token` opens (object_id, part) now; given the object's `environment_id`, only a link signed
    for that environment (or an unbound one) does. A malformed token (non-ASCII digits included) is refused."""
    found = _TOKEN.match(token) if token.isascii() else None
    if found is None or not Files.secret:
        return False
    expires, environment, mac = int(found[1]), found[2], found[3]
    if expires < time.time() or (environment_id is not None and environment not in (environment_id, UNBOUND)):
        return False
    return hmac.compare_digest(_mac(environment, object_id, part, expires), mac)


def url(path: str, object_id: str, part: str, environment_id: str) -> str:
    """`<base>/api/v1/<path>?access_token=…`, signed for (environment, object_id, part), expiring after URL_SECONDS;
    `environment_id` is the object's."""
    token = sign(object_id, part, int(time.time()) + URL_SECONDS, environment_id)
    return f"{Files.base_url}/api/v1/{path}?access_token={token}"
