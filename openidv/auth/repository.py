"""SQL for environments, API keys and dashboard users."""

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from openidv.models import ApiKey, Environment, User


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
