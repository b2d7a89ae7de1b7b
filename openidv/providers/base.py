"""The provider interfaces: a sender delivers one message; a record source finds candidate records."""

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Message:
    channel: str  # sms | email
    to: str  # E.164 number or e-mail address
    subject: str
    body: str
    sandbox: bool = False  # the log sender shows the text only in sandbox


class SendError(Exception):
    """Delivery failed. `retry` says whether the job should try again (timeouts, 5xx, 429)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class RecordSource(Protocol):
    """Where database verifications look people up. `candidates` gets normalised claims
    (`openidv.checks.database_match.Claims`) and returns attribute dicts of possible matches:
    keys as in the database verification (`name-first`, `birthdate`, `address-street-1`, ...,
    `identification-number`, `deceased`)."""

    name: str

    def candidates(self, db: Session, claims: Any) -> list[dict[str, Any]]: ...
