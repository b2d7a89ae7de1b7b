"""Pluggable outside sources (DESIGN.md §3): message senders and record sources.

Providers are classes registered under the entry-point group `openidv.providers`, named
`<family>.<name>` (`sms.twilio`, `email.smtp`, `records.imported`, ...). The built-ins are always
there; an installed package may add more or replace one by declaring the same name.
"""

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from openidv.providers.base import Message, RecordSource, Sender, SendError
from openidv.providers.settings import ProviderSettings

BUILT_IN = {
    "email.smtp": "openidv.providers.smtp:SmtpEmailSender",
    "email.log": "openidv.providers.log:LogSender",
    "sms.twilio": "openidv.providers.twilio:TwilioSmsSender",
    "sms.http": "openidv.providers.http_post:HttpPostSmsSender",
    "sms.log": "openidv.providers.log:LogSender",
    "records.imported": "openidv.providers.imported_records:ImportedRecordSource",
}


@cache
def registry() -> dict[str, str]:
    found = dict(BUILT_IN)
    for point in entry_points(group="openidv.providers"):
        found[point.name] = point.value
    return found


def load(name: str) -> Any:
    """The provider class registered as `name`; KeyError names the known ones."""
    target = registry().get(name)
    if target is None:
        raise KeyError(f"unknown provider {name!r}; known: {', '.join(sorted(registry()))}")
    module, _, attr = target.partition(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def sender(channel: str, settings: ProviderSettings | None = None) -> Sender:
    """The configured sender for `sms` or `email` (settings read from OPENIDV_* at call time)."""
    settings = settings or ProviderSettings()
    name = settings.sms_provider if channel == "sms" else settings.email_provider_name
    return load(f"{channel}.{name}")(settings)


def record_source(name: str, provider: str = "imported") -> RecordSource:
    return load(f"records.{provider}")(name)


__all__ = ["Message", "ProviderSettings", "RecordSource", "SendError", "Sender", "load", "record_source", "registry", "sender"]
