"""SQL for the API keys endpoints."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import ApiKey, Environment


def get(db: Session, environment_id: str, key_id: str) -> ApiKey | None:
    return db.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.environment_id == environment_id))


def environment(db: Session, environment_id: str) -> Environment | None:
    return db.get(Environment, environment_id)


def list_page(db: Session, environment_id: str, page: Page, *, name: str | None = None) -> PageResult[ApiKey]:
    query = select(ApiKey).where(ApiKey.environment_id == environment_id, ApiKey.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiKey.name == name)
    return paged(db, query, ApiKey, page)
