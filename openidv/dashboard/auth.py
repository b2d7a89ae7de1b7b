"""Dashboard sign-in: argon2 passwords, failures throttled per address and e-mail (openidv.auth.throttle), optional
TOTP (RFC 6238, each code once), server-side sessions, CSRF tokens.

The session cookie holds a random token; the database keeps only its SHA-256 (`user_sessions`), and every
request reads that row and its user, so sign-out, disabling a user or changing a password ends sessions at once
and a role change takes effect on the next request.
"""

import base64
import hashlib
import hmac
import json
import secrets
import struct
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from openidv.auth import passwords, repository as users, throttle
from openidv.kit.clock import as_utc, now
from openidv.models import User, UserSession

COOKIE = "openidv_dashboard"
PRE_COOKIE = "openidv_dashboard_pre"  # binds the sign-in form's CSRF token before there is a session
SESSION_SECONDS = 12 * 3600
WRITE_ROLES = ("admin", "reviewer")
TOTP_STEP = 30


@dataclass
class DashboardSession:
    user: User
    environment: str  # sandbox | production
    nonce: str  # the session row's id: CSRF tokens are derived from it
    row: UserSession

    @property
    def can_write(self) -> bool:
        return self.user.role in WRITE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign(key: str, data: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{body}.{_mac(key, 'dashboard:' + body)}"


def unsign(key: str, raw: str) -> dict | None:
    body, _, mac = (raw or "").rpartition(".")
    if not body or not hmac.compare_digest(mac, _mac(key, "dashboard:" + body)):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        return None


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, user: User, environment: str = "sandbox") -> str:
    """A new session row; returns the cookie's token (never stored)."""
    token = secrets.token_urlsafe(32)
    stamp = now()
    users.delete_sessions(db, user.id, expired_before=stamp)  # a user's stale rows go when they come back
    users.add_session(db, UserSession(id=_session_id(token), user_id=user.id, environment=environment, created_at=stamp,
                                      expires_at=stamp + timedelta(seconds=SESSION_SECONDS)))
    return token


def load(db: Session, raw: str | None) -> DashboardSession | None:
    if not raw or len(raw) > 100:
        return None
    found = users.session_and_user(db, _session_id(raw))
    if found is None:
        return None
    row, user = found
    if as_utc(row.expires_at) < now() or user.disabled_at is not None:
        return None
    return DashboardSession(user=user, environment=row.environment, nonce=row.id, row=row)


def end_session(db: Session, who: DashboardSession) -> None:
    users.delete_session(db, who.nonce)


def end_sessions(db: Session, user: User) -> None:
    """Every browser this user is signed in on (disabled, password changed, limited to the sandbox)."""
    users.delete_sessions(db, user.id)


def csrf_token(key: str, nonce: str) -> str:
    return _mac(key, "dashboard-csrf:" + nonce)


def csrf_ok(key: str, nonce: str, given: str | None) -> bool:
    return bool(nonce) and hmac.compare_digest(given or "", csrf_token(key, nonce))


# ---------------------------------------------------------------- TOTP (RFC 6238: HMAC-SHA1, 30 s, 6 digits)


def totp(secret_b32: str, at: float, step: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


def totp_step(secret_b32: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code this is (one step of clock drift either way), or None."""
    at = now().timestamp() if at is None else at  # kit.clock: tests move it
    code = (code or "").strip()
    for drift in (-1, 0, 1):
        if hmac.compare_digest(totp(secret_b32, at + drift * TOTP_STEP), code):
            return int((at + drift * TOTP_STEP) // TOTP_STEP)
    return None


def use_totp(user: User, secret_b32: str, code: str) -> bool:
    """A right code whose step is later than the last one this user used, which it then becomes: a code
    (seen over a shoulder, or replayed) works once."""
    step = totp_step(secret_b32, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


# ---------------------------------------------------------------- sign-in


class SignInError(Exception):
    """A message for the sign-in form; never says whether the e-mail exists."""


class Throttled(SignInError):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many failed sign-ins from this address or for this e-mail. Try again in {seconds} seconds.")
        self.seconds = seconds


def sign_in(db: Session, email: str, password: str, code: str | None, client_ip: str) -> User:
    """The user, or SignInError. An unknown or disabled e-mail costs the same argon2 verification as a real one,
    and failures wait per address and e-mail (Throttled) instead of locking the account."""
    stamp = now()
    names = throttle.keys(client_ip, email or "")
    wait = throttle.wait_seconds(db, names, stamp)
    if wait:
        raise Throttled(wait)
    user = users.user_by_email(db, email or "")
    if user is None or user.disabled_at is not None:
        good = passwords.verify_nobody(password or "")
    else:
        good = passwords.verify_password(user.password_hash, password or "")
        secret = user.totp_secret
        if good and secret and not use_totp(user, secret, code or ""):
            good = False
    if not good or user is None:
        throttle.failed(db, names, stamp)
        raise SignInError("Wrong e-mail, password or code." if code else "Wrong e-mail or password.")
    throttle.succeeded(db, user.email)
    db.flush()
    return user
