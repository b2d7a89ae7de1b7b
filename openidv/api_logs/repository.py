"""SQL for the API log."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import ApiLog

_INSERT = insert(ApiLog)


def add_many(db: Session, rows: list[dict[str, Any]]) -> None:
    db.execute(_INSERT, rows)


def get(db: Session, environment_id: str, log_id: str) -> ApiLog | None:
    return db.scalar(select(ApiLog).where(ApiLog.id == log_id, ApiLog.environment_id == environment_id))


def list_page(db: Session, environment_id: str, page: Page, *, api_key_id: str | None = None) -> PageResult[ApiLog]:
    query = select(ApiLog).where(ApiLog.environment_id == environment_id)
    if api_key_id is not None:
        query = query.where(ApiLog.api_key_id == api_key_id)
    return paged(db, query, ApiLog, page)


def purge_before(db: Session, before: datetime, limit: int = 5000) -> int:
    ids = list(db.scalars(select(ApiLog.id).where(ApiLog.created_at < before).limit(limit)))
    if ids:
        db.execute(delete(ApiLog).where(ApiLog.id.in_(ids)))
    return len(ids)
