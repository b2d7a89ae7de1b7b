"""Where this process keeps its sealed files, and their expiring signed links (verification photos,
document files). Configured from the settings by the composition root (`openidv.wiring`), in the
server, standalone job workers and the CLI alike."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

URL_SECONDS = 21600  # a link works for 6 hours


class Files:
    data_dir: Path = Path("./openidv-data")
    secret: str = ""
    base_url: str = "http://127.0.0.1:8000"


def configure(settings: Any) -> None:
    Files.data_dir, Files.secret, Files.base_url = settings.data_dir, settings.secrets["secret_key"], settings.base_url


def sign(object_id: str, part: str, expires: int) -> str:
    message = f"{object_id}:{part}:{expires}".encode()
    mac = hmac.new(Files.secret.encode(), message, hashlib.sha256).digest()
    return f"{expires}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def verify(object_id: str, part: str, token: str) -> bool:
    expires_text, _, _ = token.partition(".")
    if not expires_text.isdigit() or int(expires_text) < time.time() or not Files.secret:
        return False
    return hmac.compare_digest(sign(object_id, part, int(expires_text)), token)


def url(path: str, object_id: str, part: str) -> str:
    """`<base>/api/v1/<path>?access_token=…`, signed for (object_id, part), expiring after URL_SECONDS."""
    token = sign(object_id, part, int(time.time()) + URL_SECONDS)
    return f"{Files.base_url}/api/v1/{path}?access_token={token}"
