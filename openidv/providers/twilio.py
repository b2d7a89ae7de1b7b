"""SMS through Twilio's Messages API: form fields `To`, `From`, `Body`, HTTP Basic auth with the
account SID and auth token (`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`)."""

import httpx

from openidv.providers.base import Message, SendError
from openidv.providers.settings import ProviderSettings


class TwilioSmsSender:
    def __init__(self, settings: ProviderSettings) -> None:
        missing = [n for n in ("twilio_account_sid", "twilio_auth_token", "twilio_from") if not getattr(settings, n)]
        if missing:
            raise SendError("missing settings: " + ", ".join("OPENIDV_" + n.upper() for n in missing), retry=False)
        self.settings = settings

    def send(self, message: Message) -> None:
        s = self.settings
        url = f"{s.twilio_base_url.rstrip('/')}/2010-04-01/Accounts/{s.twilio_account_sid}/Messages.json"
        try:
            response = httpx.post(
                url,
                data={"To": message.to, "From": s.twilio_from, "Body": message.body},
                auth=(s.twilio_account_sid or "", s.twilio_auth_token or ""),
                timeout=s.send_timeout_seconds,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise SendError(f"Twilio unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise SendError(f"Twilio answered {response.status_code}", retry=response.status_code >= 500 or response.status_code == 429)
