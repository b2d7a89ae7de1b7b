"""SMS through any gateway that takes a signed JSON POST (`OPENIDV_SMS_HTTP_URL`).

Body `{"channel", "to", "body"}`; header `Openidv-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
under `OPENIDV_SMS_HTTP_SECRET`, so the gateway can check origin and freshness.
"""

import hashlib
import hmac
import json

import httpx

from openidv.kit.clock import now
from openidv.providers.base import Message, SendError
from openidv.providers.settings import ProviderSettings


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class HttpPostSmsSender:
    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.sms_http_url or not settings.sms_http_secret:
            raise SendError("OPENIDV_SMS_HTTP_URL and OPENIDV_SMS_HTTP_SECRET must be set", retry=False)
        self.settings = settings

    def send(self, message: Message) -> None:
        body = json.dumps({"channel": message.channel, "to": message.to, "body": message.body}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Openidv-Signature": signature(self.settings.sms_http_secret or "", int(now().timestamp()), body)}
        try:
            response = httpx.post(
                self.settings.sms_http_url or "", content=body, headers=headers, timeout=self.settings.send_timeout_seconds, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            raise SendError(f"SMS gateway unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise SendError(f"SMS gateway answered {response.status_code}", retry=response.status_code >= 500 or response.status_code == 429)
