"""Managing dashboard users (the `openidv user` commands and the dashboard's Users page share these rules):
disable, enable, role and sandbox limit, password reset and change, TOTP required. Whatever takes a user's
access away ends their sessions on the server in the same transaction."""

from sqlalchemy.orm import Session

from openidv.auth import passwords, repository
from openidv.auth.service import ROLES
from openidv.kit.clock import now
from openidv.models import User


def by_email(db: Session, email: str) -> User:
    user = repository.user_by_email(db, email)
    if user is None:
        raise ValueError(f"no user has the e-mail {email.strip().lower()}")
    return user


def _keep_an_admin(db: Session, user: User) -> None:
    """Nobody may take away the last enabled admin: the dashboard would have no one to manage it."""
    if user.role == "admin" and user.disabled_at is None and repository.enabled_admins(db) <= 1:
        raise ValueError(f"{user.email} is the only enabled admin; make another admin first")


def disable(db: Session, user: User) -> None:
    if user.disabled_at is None:
        _keep_an_admin(db, user)
        user.disabled_at = now()
        repository.delete_sessions(db, user.id)
        db.flush()


def enable(db: Session, user: User) -> None:
    user.disabled_at = None
    db.flush()


def set_role(db: Session, user: User, role: str, sandbox_only: bool) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if user.role == "admin" and role != "admin":
        _keep_an_admin(db, user)
    if sandbox_only and not user.sandbox_only:
        repository.delete_sessions(db, user.id)  # a session open in production must not outlive the limit
    user.role, user.sandbox_only = role, sandbox_only
    db.flush()


def set_password(db: Session, user: User, password: str) -> None:
    """A new password (checked by the estimator); every session of the user ends."""
    passwords.check_strength(password, user.email)
    user.password_hash = passwords.hash_password(password)
    repository.delete_sessions(db, user.id)
    db.flush()


def reset_password(db: Session, user: User, password: str | None = None) -> str:
    """An admin's reset: the given password or a generated one, returned to be handed over once."""
    password = password if password is not None else passwords.generate()
    set_password(db, user, password)
    return password


def change_password(db: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password first."""
    if not passwords.verify_password(user.password_hash, current):
        raise ValueError("The current password is not right.")
    if new == current:
        raise ValueError("The new password must differ from the current one.")
    set_password(db, user, new)


def require_totp(db: Session, user: User, required: bool) -> None:
    user.totp_required = required
    db.flush()
