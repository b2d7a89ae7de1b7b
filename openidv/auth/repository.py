"""SQL for environments, API keys, dashboard users, their sessions and failed sign-ins."""

from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from openidv.models import ApiKey, Environment, SignInThrottle, User, UserSession


def environments(session: Session) -> list[Environment]:
    return list(session.scalars(select(Environment).order_by(Environment.name.desc())))


def environment_by_name(session: Session, name: str) -> Environment | None:
    return session.scalar(select(Environment).where(Environment.name == name))


def environment(session: Session, environment_id: str) -> Environment | None:
    return session.get(Environment, environment_id)


# Every API request runs this: built once, and it loads the key's environment in the same query.
_KEY_BY_HASH = select(ApiKey, Environment).join(Environment, Environment.id == ApiKey.environment_id).where(ApiKey.secret_hash == bindparam("secret_hash"))


def api_key_by_hash(session: Session, secret_hash: str) -> tuple[ApiKey, Environment] | None:
    row = session.execute(_KEY_BY_HASH, {"secret_hash": secret_hash}).first()
    return (row[0], row[1]) if row else None


def api_keys(session: Session, environment_id: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.environment_id == environment_id).order_by(ApiKey.created_at)))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def user(session: Session, user_id: str) -> User | None:
    return session.get(User, user_id)


def enabled_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.disabled_at.is_(None))) or 0


# ---------------------------------------------------------------- dashboard sessions (rows named by a token's hash)


def session_and_user(session: Session, session_id: str) -> tuple[UserSession, User] | None:
    row = session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id).where(UserSession.id == session_id)).first()
    return (row[0], row[1]) if row else None


def add_session(session: Session, row: UserSession) -> None:
    session.add(row)
    session.flush()


def delete_session(session: Session, session_id: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == session_id))


def delete_sessions(session: Session, user_id: str, *, expired_before: datetime | None = None) -> None:
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if expired_before is not None:
        query = query.where(UserSession.expires_at < expired_before)
    session.execute(query)


# ---------------------------------------------------------------- failed sign-ins (one row per address or e-mail)


def throttles(session: Session, keys: list[str]) -> list[SignInThrottle]:
    return list(session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys))))


def locked_throttles(session: Session, keys: list[str], at: datetime) -> list[SignInThrottle]:
    """The rows of `keys`, made if missing and locked until the transaction ends (servers of a fleet count together)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SignInThrottle).values([{"key": key, "failures": 0, "last_failure_at": at} for key in keys]).on_conflict_do_nothing())
    return list(session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)).with_for_update()).all())


def delete_throttle(session: Session, key: str) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))


def prune_sign_ins(session: Session, at: datetime, forgotten_before: datetime) -> int:
    """Expired sessions, and failure counts last touched before `forgotten_before` that hold no wait any more."""
    sessions = session.execute(delete(UserSession).where(UserSession.expires_at < at))
    failures = session.execute(delete(SignInThrottle).where(
        SignInThrottle.last_failure_at < forgotten_before, or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < at)))
    return int(getattr(sessions, "rowcount", 0) or 0) + int(getattr(failures, "rowcount", 0) or 0)
