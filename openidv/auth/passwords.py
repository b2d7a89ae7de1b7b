"""Dashboard passwords: argon2 hashes, a strength estimator (zxcvbn) and a dummy hash of the same cost, so a
sign-in for an unknown e-mail costs as much as one for a real user."""

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one form can ask for
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
_ESTIMATED = 100  # zxcvbn's cost grows with length; the first 100 characters decide
_passwords = PasswordHasher()


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _passwords.verify(password_hash, password)
    except (VerificationError, ValueError):  # a mismatch, or a stored hash argon2 cannot read (InvalidHashError)
        return False


@cache
def _dummy_hash() -> str:
    return _passwords.hash(secrets.token_urlsafe(16))


def verify_nobody(password: str) -> bool:
    """The work of a verification with no user behind it: always False."""
    verify_password(_dummy_hash(), password)
    return False


def check_strength(password: str, *hints: str) -> None:
    """ValueError (a message for the person choosing it) unless the password is long and hard enough to guess;
    `hints` (the e-mail, say) count as known to an attacker."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"password must have at most {MAX_LENGTH} characters")
    words = [part for hint in hints for part in hint.replace("@", " ").replace(".", " ").split() if part] + list(hints)
    estimate = zxcvbn(password[:_ESTIMATED], user_inputs=words)
    if estimate["score"] < MIN_SCORE:
        feedback = estimate["feedback"]
        advice = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
        raise ValueError(f"password is too easy to guess{': ' + advice if advice else ''}")


def generate() -> str:
    """A random password the estimator accepts (shown once to whoever set it)."""
    while True:
        password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
        try:
            check_strength(password)
            return password
        except ValueError:  # vanishingly rare (a long run of one character): draw again
            continue
