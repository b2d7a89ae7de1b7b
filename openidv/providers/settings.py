"""Provider settings (`OPENIDV_*`), read when a message is sent so an operator's change needs no code."""

from urllib.parse import parse_qs, unquote, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENIDV_", extra="ignore")

    smtp_url: str | None = None  # smtp://user:pass@host:587?starttls=true, smtps://host:465
    email_from: str = "openidv <no-reply@openidv.local>"
    email_provider: str | None = None  # smtp | log; default smtp when smtp_url is set
    email_check_deliverability: bool = False  # DNS look-up of the domain on create
    sms_provider: str = "log"  # twilio | http | log
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    sms_http_url: str | None = None  # generic HTTP POST sender
    sms_http_secret: str | None = None  # HMAC key of its signature header
    send_timeout_seconds: float = 10.0

    @property
    def email_provider_name(self) -> str:
        return self.email_provider or ("smtp" if self.smtp_url else "log")


def parse_smtp_url(url: str) -> dict:
    """`smtp://user:pass@host:587?starttls=true` → host, port, user, password, ssl, starttls."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("OPENIDV_SMTP_URL must look like smtp://user:pass@host:587?starttls=true")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps" or query.get("ssl") in ("1", "true", "yes")
    return {
        "host": parts.hostname,
        "port": parts.port or (465 if ssl else 25),
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "ssl": ssl,
        "starttls": query.get("starttls") in ("1", "true", "yes"),
    }
