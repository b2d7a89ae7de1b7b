"""One-time confirmation codes for phone-number and e-mail-address verifications.

A send request only counts (cooldown, cap) and enqueues the send job; the job makes a 6-digit code
with `secrets`, keeps a keyed hash of it (HMAC under the blind-index key, bound to the verification)
and hands the text to the provider, so the plain code is never stored. A code is valid for the step's
`code_validity_seconds`, at most 5 wrong codes are accepted over a verification's life, and a
confirmation after the code expired, or the fifth wrong code, finishes the verification as failed.
"""

import hmac
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks.result import CheckResult
from openidv.inquiry_templates.config import Step
from openidv.kit import crypto
from openidv.kit.clock import as_utc, now
from openidv.kit.errors import ApiError, conflict
from openidv.lifecycle import VerificationStatus
from openidv.models import ConfirmationCode, Verification
from openidv.verifications import service as verifications

DEFAULTS = {
    "code_validity_seconds": 600,
    "max_code_attempts": 5,
    "resend_cooldown_seconds": 30,
    "max_code_sends": 5,
}
MAX_VALIDITY = {"sms": 600, "email": 86400}  # e-mail codes may live up to 24 h


def setting(step: Step, name: str, channel: str = "sms") -> int:
    value = verifications.settings(step).get(name, DEFAULTS[name])
    value = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else DEFAULTS[name]
    return min(value, MAX_VALIDITY[channel]) if name == "code_validity_seconds" else value


def code_hash(verification_id: str, code: str) -> str:
    return crypto.ring().blind_index("confirmation-code", f"{verification_id}:{code}")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def request_send(db: Session, verification: Verification, channel: str, locale: str | None) -> ConfirmationCode:
    """Count a send request (409 unless initiated; 429 within the cooldown or past the cap)."""
    if verification.status != VerificationStatus.INITIATED:
        raise conflict(f"Cannot send a confirmation code for a verification that is {verification.status}")
    _, step = verifications.config_for(db, verification)
    row = db.get(ConfirmationCode, verification.id)
    if row is None:
        row = ConfirmationCode(verification_id=verification.id, channel=channel, attempts=0, sends=0, created_at=now())
        db.add(row)
    if row.sends >= setting(step, "max_code_sends"):
        raise ApiError(429, "Too many confirmation codes were sent for this verification", title="Rate limit exceeded")
    cooldown = setting(step, "resend_cooldown_seconds")
    if row.requested_at is not None and now() - as_utc(row.requested_at) < timedelta(seconds=cooldown):
        wait = cooldown - int((now() - as_utc(row.requested_at)).total_seconds())
        raise ApiError(429, f"Wait {wait} seconds before sending another confirmation code", title="Rate limit exceeded", headers={"Retry-After": str(wait)})
    row.sends += 1
    row.requested_at = now()
    row.locale = (locale or verifications.settings(step).get("locale") or "en")[:10]
    db.flush()
    return row


def issue(db: Session, verification: Verification) -> tuple[str, int] | None:
    """In the send job: a fresh code replaces the previous one. Returns (code, seconds valid), or None
    when the verification no longer waits for a code."""
    row = db.get(ConfirmationCode, verification.id)
    if row is None or verification.status != VerificationStatus.INITIATED:
        return None
    _, step = verifications.config_for(db, verification)
    validity = setting(step, "code_validity_seconds", row.channel)
    code = new_code()
    row.code_hash = code_hash(verification.id, code)
    row.expires_at = now() + timedelta(seconds=validity)
    row.sent_at = now()
    db.flush()
    return code, validity


def expired(row: ConfirmationCode | None) -> bool:
    return row is not None and row.expires_at is not None and now() >= as_utc(row.expires_at)


def confirm(db: Session, verification: Verification, code: str, build_checks: Any, actor: str) -> str:
    """`confirmed`, `invalid` or `expired` (the last two are answered 422 after the request commits,
    so wrong attempts count). `build_checks(db, verification, timed_out)` makes the submit checks."""
    if not lifecycle.transition_allowed(verification, "confirm"):
        raise conflict(f"Cannot confirm a verification that is {verification.status}")
    row = db.get(ConfirmationCode, verification.id)
    if row is None or row.code_hash is None:
        return "invalid"
    if expired(row):
        verifications.finish(db, verification, build_checks(db, verification, timed_out=True), actor)
        return "expired"
    if not hmac.compare_digest(row.code_hash, code_hash(verification.id, code.strip())):
        row.attempts += 1
        _, step = verifications.config_for(db, verification)
        if row.attempts >= setting(step, "max_code_attempts"):
            verifications.finish(db, verification, build_checks(db, verification, timed_out=False), actor)
        db.flush()
        return "invalid"
    row.code_hash = None  # single use
    lifecycle.transition(db, verification, "confirm", actor=actor)
    return "confirmed"


def submit(db: Session, verification: Verification, build_checks: Any, actor: str) -> None:
    """Submit: confirmed passes (unless checks say otherwise); an unconfirmed one fails."""
    if not lifecycle.transition_allowed(verification, "submit"):
        raise conflict(f"Cannot submit a verification that is {verification.status}")
    timed_out = verification.status != VerificationStatus.CONFIRMED and expired(db.get(ConfirmationCode, verification.id))
    verifications.finish(db, verification, build_checks(db, verification, timed_out=timed_out), actor)


def time_out(db: Session, verification: Verification, build_checks: Any) -> bool:
    """The delayed job after a code's validity: an unconfirmed verification with an expired code fails."""
    row = db.get(ConfirmationCode, verification.id)
    if verification.status != VerificationStatus.INITIATED or not expired(row):
        return False
    verifications.finish(db, verification, build_checks(db, verification, timed_out=True), "system")
    return True


def code_checks(prefix: str, verification: Verification, timed_out: bool, required: frozenset[str]) -> list[CheckResult]:
    """`<prefix>_confirmation_code_comparison` and `<prefix>_timeout_detection`."""
    confirmed = verification.status == VerificationStatus.CONFIRMED
    return [
        verifications.check(f"{prefix}_confirmation_code_comparison", confirmed, required, [] if confirmed else ["confirmation_code_mismatch"]),
        verifications.check(f"{prefix}_timeout_detection", not timed_out, required, ["timeout"] if timed_out else []),
    ]
