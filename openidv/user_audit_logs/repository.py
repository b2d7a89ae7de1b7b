"""SQL for the user audit log: reads of the dashboard's audit rows (written by `openidv.dashboard.service.audit`)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import AuditLog


def get(db: Session, environment_id: str, log_id: str) -> AuditLog | None:
    return db.scalar(select(AuditLog).where(AuditLog.id == log_id, AuditLog.environment_id == environment_id))


def list_page(db: Session, environment_id: str, page: Page) -> PageResult[AuditLog]:
    return paged(db, select(AuditLog).where(AuditLog.environment_id == environment_id), AuditLog, page)
