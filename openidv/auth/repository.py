"""SQL for environments, API keys and dashboard users."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.models import ApiKey, Environment, User


def environments(session: Session) -> list[Environment]:
    return list(session.scalars(select(Environment).order_by(Environment.name.desc())))


def environment_by_name(session: Session, name: str) -> Environment | None:
    return session.scalar(select(Environment).where(Environment.name == name))


def environment(session: Session, environment_id: str) -> Environment | None:
    return session.get(Environment, environment_id)


def api_key_by_hash(session: Session, secret_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))


def api_keys(session: Session, environment_id: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.environment_id == environment_id).order_by(ApiKey.created_at)))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))
