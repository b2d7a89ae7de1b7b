"""Session rules: at most 25 per inquiry, expiry with the inquiry, single-use one-time links."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.inquiry_sessions import repository, tokens
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request
from openidv.kit.ids import new_id
from openidv.lifecycle import InquiryStatus, SessionStatus
from openidv.models import Event, Inquiry, InquirySession, OneTimeLink

MAX_SESSIONS_PER_INQUIRY = 25
LINK_GRACE = timedelta(minutes=5)
DEFAULT_LINK_SECONDS = 86400


@dataclass(frozen=True)
class Secrets:
    """What the session code needs from the settings."""

    token_secret: str
    base_url: str


def create_session(db: Session, inquiry: Inquiry, *, handoff: str | None = None, actor: str | None = None) -> InquirySession:
    if inquiry.redacted_at is not None:
        raise ApiError(409, "Inquiry already redacted", title="Conflict")
    if repository.count_of_inquiry(db, inquiry.id) >= MAX_SESSIONS_PER_INQUIRY:
        raise ApiError(422, f"An inquiry can have at most {MAX_SESSIONS_PER_INQUIRY} sessions", title="Record invalid")
    row = InquirySession(
        id=new_id("iqse"),
        inquiry_id=inquiry.id,
        environment_id=inquiry.environment_id,
        expires_at=inquiry.expires_at,
        device_handoff_method=handoff,
        created_at=now(),
    )
    lifecycle.create(db, row, actor=actor)
    return row


def usable_session(db: Session, inquiry: Inquiry) -> InquirySession | None:
    """An unused, unexpired session to hand out again (resume reuses one before making a new one)."""
    for row in repository.of_inquiry(db, inquiry.id):
        if row.status == SessionStatus.NEW and (row.expires_at is None or row.expires_at > now()):
            return row
    return None


def token_for(secrets_: Secrets, row: InquirySession) -> str:
    return tokens.issue(secrets_.token_secret, secrets_.base_url, row.id)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create_one_time_link(db: Session, secrets_: Secrets, inquiry: Inquiry, expires_in: int | None, actor: str | None = None) -> tuple[str, str]:
    """A new session reachable once through `<base>/verify?code=…`; returns (link, short link)."""
    if inquiry.status == InquiryStatus.EXPIRED:
        raise ApiError(409, "Cannot generate a one-time link for an expired inquiry", title="Conflict")
    seconds = DEFAULT_LINK_SECONDS if expires_in is None else expires_in
    if seconds <= 0:
        raise bad_request("meta.expires-in-seconds must be greater than 0")
    row = create_session(db, inquiry, handoff="one_time_link", actor=actor)
    code, short = secrets.token_urlsafe(24), secrets.token_urlsafe(6)
    db.add(OneTimeLink(code_hash=_hash(code), short_code_hash=_hash(short), session_id=row.id, inquiry_id=inquiry.id,
                       created_at=now(), expires_at=now() + timedelta(seconds=seconds)))
    db.flush()
    base = secrets_.base_url.rstrip("/")
    return f"{base}/verify?code={code}", f"{base}/verify?code={short}"


def redeem_one_time_link(db: Session, code: str) -> OneTimeLink | None:
    """The link a code opens, marking its first use; a used link still opens within a 5-minute grace."""
    link = repository.link_by_code_hash(db, _hash(code))
    if link is None or link.revoked_at is not None or link.expires_at <= now():
        return None
    if link.used_at is None:
        link.used_at = now()
        db.flush()
    elif link.used_at + LINK_GRACE < now():
        return None
    return link


def expire_session(db: Session, row: InquirySession, actor: str | None = None) -> None:
    lifecycle.transition(db, row, "expire", actor=actor)


def expire_all_of_inquiry(db: Session, inquiry: Inquiry, actor: str | None = None) -> None:
    """Expiry of the inquiry ends its sessions and one-time links."""
    for row in repository.of_inquiry(db, inquiry.id):
        if row.status != SessionStatus.EXPIRED:
            lifecycle.transition(db, row, "expire", actor=actor)
    repository.revoke_links_of_inquiry(db, inquiry.id, now())


def forget_clients_of_redacted(db: Session, event: Event) -> None:
    """An event follow-up: a redacted inquiry (`inquiry.redacted`) keeps no address or user agent of its sessions."""
    if event.name == "inquiry.redacted":
        repository.forget_clients(db, event.object_id)
