"""Failed dashboard sign-ins slow down the client address and the e-mail they came from, never lock the account.

Each address and each e-mail (known or not, so the answer says nothing about who has an account) has a count
of failures in the database, which every server of a fleet shares. The first few are free; after that each
failure makes that key wait twice as long as the one before, up to a cap, and a key that stops failing is
forgotten after an hour. The e-mail's cap is the lower one: an attacker who tries one account from many
addresses slows it down, but its owner waits minutes at most, never the 15 minutes the old lock-out took.
"""

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openidv.auth import repository
from openidv.kit import crypto
from openidv.kit.clock import as_utc

FREE = {"ip": 10, "email": 5}  # failures before the first wait (an office behind one address mistypes too)
CAP_SECONDS = {"ip": 15 * 60, "email": 5 * 60}
FORGET_AFTER = timedelta(hours=1)


def keys(client_ip: str, email: str) -> list[str]:
    """Blind indexes, so the table holds neither addresses nor e-mails."""
    ring = crypto.ring()
    return [f"ip:{ring.blind_index('sign-in-ip', client_ip or '-')}", email_key(email)]


def email_key(email: str) -> str:
    return f"email:{crypto.ring().blind_index('sign-in-email', email.strip().lower())}"


def wait_seconds(db: Session, names: list[str], at: datetime) -> int:
    """How long these keys must still wait before a password is checked (0: go ahead)."""
    until = [as_utc(row.blocked_until) for row in repository.throttles(db, names) if row.blocked_until is not None]
    latest = max((u for u in until if u is not None), default=None)
    return math.ceil((latest - at).total_seconds()) if latest is not None and latest > at else 0


def failed(db: Session, names: list[str], at: datetime) -> None:
    for row in repository.locked_throttles(db, names, at):
        kind = row.key.split(":", 1)[0]
        if at - as_utc(row.last_failure_at) > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = at
        beyond = row.failures - FREE[kind]
        if beyond > 0:
            row.blocked_until = at + timedelta(seconds=min(2 ** (beyond - 1), CAP_SECONDS[kind]))
    db.flush()


def succeeded(db: Session, email: str) -> None:
    """The right password (and code) for this e-mail: its count starts again; the address's stays."""
    repository.delete_throttle(db, email_key(email))
