"""Who may manage dashboard users, and the audit of it: each action checks the actor, runs the rule of
openidv.auth.users and writes one audit row (never commits). Also a user's own sign-in security: the
environment switch, TOTP and their password."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from openidv.auth import passwords, repository, users
from openidv.auth.service import create_user
from openidv.dashboard.auth import DashboardSession, use_totp
from openidv.dashboard.service import audit
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.models import User

T = TypeVar("T")


def _rule(run: Callable[[], T]) -> T:
    """The rules speak ValueError (the CLI prints it); here it is a 400 in Persona's error shape."""
    try:
        return run()
    except ValueError as exc:
        raise bad_request(str(exc)) from None


def target(db: Session, who: DashboardSession, user_id: str) -> User:
    if not who.is_admin:
        raise ApiError(403, f"a {who.user.role} may not manage users")
    user = repository.user(db, user_id)
    if user is None:
        raise not_found("user", user_id)
    return user


def add_user(db: Session, who: DashboardSession, env_id: str, email: str, role: str, sandbox_only: bool) -> tuple[User, str]:
    """A new user with a generated password, shown once to the admin (as `openidv user create` without a password)."""
    if not who.is_admin:
        raise ApiError(403, f"a {who.user.role} may not manage users")
    password = passwords.generate()
    user = _rule(lambda: create_user(db, email, password, role, sandbox_only=sandbox_only))
    audit(db, who, env_id, "user.create", user.id, None, _access(user), user.email)
    return user, password


def _access(user: User) -> str:
    return f"{user.role}{' sandbox' if user.sandbox_only else ''}"


def set_role(db: Session, who: DashboardSession, env_id: str, user_id: str, role: str, sandbox_only: bool) -> None:
    user = target(db, who, user_id)
    before = _access(user)
    _rule(lambda: users.set_role(db, user, role, sandbox_only))
    if before != _access(user):
        audit(db, who, env_id, "user.role", user.id, before, _access(user), user.email)


def disable(db: Session, who: DashboardSession, env_id: str, user_id: str) -> None:
    user = target(db, who, user_id)
    if user.id == who.user.id:
        raise bad_request("You cannot disable yourself.")
    if user.disabled_at is None:
        _rule(lambda: users.disable(db, user))
        audit(db, who, env_id, "user.disable", user.id, "enabled", "disabled", user.email)


def enable(db: Session, who: DashboardSession, env_id: str, user_id: str) -> None:
    user = target(db, who, user_id)
    if user.disabled_at is not None:
        users.enable(db, user)
        audit(db, who, env_id, "user.enable", user.id, "disabled", "enabled", user.email)


def reset_password(db: Session, who: DashboardSession, env_id: str, user_id: str) -> tuple[User, str]:
    """A generated password, shown once to the admin; the user's sessions end."""
    user = target(db, who, user_id)
    password = users.reset_password(db, user)
    audit(db, who, env_id, "user.password-reset", user.id, None, None, user.email)
    return user, password


def require_totp(db: Session, who: DashboardSession, env_id: str, user_id: str, required: bool) -> None:
    user = target(db, who, user_id)
    if user.totp_required != required:
        users.require_totp(db, user, required)
        audit(db, who, env_id, "user.totp-required" if required else "user.totp-optional", user.id, None, None, user.email)


def change_own_password(db: Session, who: DashboardSession, env_id: str, current: str, new: str, repeated: str) -> None:
    """Every session of the user ends, this one too: the caller starts a new one for this browser."""
    if new != repeated:
        raise bad_request("The two new passwords differ.")
    _rule(lambda: users.change_password(db, who.user, current, new))
    audit(db, who, env_id, "user.password-change", who.user.id, None, None, who.user.email)


def switch_environment(db: Session, who: DashboardSession, name: str) -> None:
    if name not in ("sandbox", "production"):
        raise bad_request("environment must be sandbox or production")
    if name == "production" and who.user.sandbox_only:
        raise ApiError(403, "Your account is limited to the sandbox.")
    who.row.environment = name
    db.flush()


def set_totp(db: Session, who: DashboardSession, env_id: str, secret: str | None, code: str) -> None:
    """Turn TOTP on with a new secret (proved by a code from it) or off (proved by a code from the current one);
    the code proving it counts as used."""
    if secret is None and who.user.totp_required:
        raise bad_request("An admin requires an authenticator code for your account: it stays on.")
    proof = secret or who.user.totp_secret
    if not proof or not use_totp(who.user, proof, code):
        raise bad_request("That code is not right. Check the authenticator app's clock and try again.")
    who.user.totp_secret = secret
    db.flush()
    audit(db, who, env_id, "totp.enable" if secret else "totp.disable", who.user.id, None, None)
