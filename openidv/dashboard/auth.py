"""Dashboard sign-in: argon2 passwords, lock-out, optional TOTP (RFC 6238), signed session cookies, CSRF tokens.

The session is a cookie signed with `secret_key` (user id, environment, nonce, expiry); the user row is
re-read on every request, so disabling a user or changing their role takes effect at once.
"""

import base64
import hashlib
import hmac
import json
import secrets
import struct
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from openidv.auth import repository as users
from openidv.auth.service import verify_password
from openidv.kit.clock import now
from openidv.models import User

COOKIE = "openidv_dashboard"
PRE_COOKIE = "openidv_dashboard_pre"  # binds the sign-in form's CSRF token before there is a session
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 5
LOCK_MINUTES = 15
WRITE_ROLES = ("admin", "reviewer")


@dataclass
class DashboardSession:
    user: User
    environment: str  # sandbox | production
    nonce: str

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


def new_cookie(key: str, user: User, environment: str) -> str:
    return sign(key, {"u": user.id, "e": environment, "n": secrets.token_urlsafe(16), "x": int(time.time()) + SESSION_SECONDS})


def load(db: Session, key: str, raw: str | None) -> DashboardSession | None:
    data = unsign(key, raw or "")
    if not data or data.get("x", 0) < time.time() or data.get("e") not in ("sandbox", "production"):
        return None
    user = db.get(User, data.get("u"))
    if user is None or user.disabled_at is not None:
        return None
    return DashboardSession(user=user, environment=data["e"], nonce=data["n"])


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


def totp_ok(secret_b32: str, code: str, at: float | None = None) -> bool:
    at = time.time() if at is None else at
    code = (code or "").strip()
    return any(hmac.compare_digest(totp(secret_b32, at + drift * 30), code) for drift in (-1, 0, 1))


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


# ---------------------------------------------------------------- sign-in


class SignInError(Exception):
    """A message for the sign-in form; never says whether the e-mail exists."""


def sign_in(db: Session, email: str, password: str, code: str | None) -> User:
    user = users.user_by_email(db, email or "")
    stamp = now()
    if user is None or user.disabled_at is not None:
        raise SignInError("Wrong e-mail or password.")
    if user.locked_until is not None and user.locked_until > stamp:
        raise SignInError("Too many failed attempts. Try again later.")
    good = verify_password(user.password_hash, password or "")
    if good and user.totp_secret and not totp_ok(user.totp_secret, code or ""):
        good = False
    if not good:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILURES:
            user.locked_until, user.failed_sign_ins = stamp + timedelta(minutes=LOCK_MINUTES), 0
        db.flush()
        raise SignInError("Wrong e-mail, password or code." if user.totp_secret else "Wrong e-mail or password.")
    user.failed_sign_ins, user.locked_until = 0, None
    db.flush()
    return user
