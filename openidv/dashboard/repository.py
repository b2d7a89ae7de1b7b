"""SQL the dashboard needs beyond the resource repositories: the audit log, the review queue, timelines, analytics."""

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.lifecycle import InquiryStatus
from openidv.models import AuditLog, Event, Inquiry, Verification, WebhookDelivery


def add_audit(session: Session, row: AuditLog) -> None:
    session.add(row)
    session.flush()


def audit_page(session: Session, environment_id: str, page: Page, *, user_email: str | None = None, action: str | None = None,
               object_id: str | None = None) -> PageResult[AuditLog]:
    query = select(AuditLog).where(AuditLog.environment_id == environment_id)
    if user_email:
        query = query.where(AuditLog.user_email == user_email.strip().lower())
    if action:
        query = query.where(AuditLog.action == action)
    if object_id:
        query = query.where(AuditLog.object_id == object_id)
    return paged(session, query, AuditLog, page)


def review_queue(session: Session, environment_id: str, size: int, after: Inquiry | None) -> list[Inquiry]:
    """`needs_review` inquiries, oldest first (the index on environment, status, created_at serves it)."""
    query = select(Inquiry).where(Inquiry.environment_id == environment_id, Inquiry.status == InquiryStatus.NEEDS_REVIEW)
    if after is not None:
        query = query.where(or_(Inquiry.created_at > after.created_at, and_(Inquiry.created_at == after.created_at, Inquiry.id > after.id)))
    return list(session.scalars(query.order_by(Inquiry.created_at, Inquiry.id).limit(size)))


def inquiry_verifications(session: Session, inquiry_id: str) -> list[Verification]:
    return list(session.scalars(select(Verification).where(Verification.inquiry_id == inquiry_id).order_by(Verification.created_at, Verification.id)))


def events_of(session: Session, environment_id: str, object_ids: list[str]) -> list[Event]:
    query = select(Event).where(Event.environment_id == environment_id, Event.object_id.in_(object_ids))
    return list(session.scalars(query.order_by(Event.created_at, Event.id)))


def _in_range(query, environment_id: str, template_id: str | None, start: datetime | None, end: datetime | None):  # noqa: ANN001, ANN202
    query = query.where(Inquiry.environment_id == environment_id)
    if template_id:
        query = query.where(Inquiry.template_id == template_id)
    if start:
        query = query.where(Inquiry.created_at >= start)
    if end:
        query = query.where(Inquiry.created_at <= end)
    return query


def funnel(session: Session, environment_id: str, template_id: str | None, start: datetime | None, end: datetime | None) -> dict[str, int]:
    """Inquiries created in range, and how many of them started, completed, were approved and declined."""
    query = _in_range(select(
        func.count(Inquiry.id), func.count(Inquiry.started_at), func.count(Inquiry.completed_at),
        func.count(case((Inquiry.status == InquiryStatus.APPROVED, 1))), func.count(case((Inquiry.status == InquiryStatus.DECLINED, 1))),
    ), environment_id, template_id, start, end)
    row = session.execute(query).one()
    return dict(zip(("created", "started", "completed", "approved", "declined"), (int(v or 0) for v in row), strict=True))


def decision_times(session: Session, environment_id: str, template_id: str | None, start: datetime | None,
                   end: datetime | None) -> list[tuple[datetime, datetime]]:
    decided = select(Inquiry.created_at, Inquiry.decisioned_at).where(
        Inquiry.decisioned_at.is_not(None), Inquiry.status.in_((InquiryStatus.APPROVED, InquiryStatus.DECLINED))
    )
    query = _in_range(decided, environment_id, template_id, start, end)
    return [(a, b) for a, b in session.execute(query)]


def checks_in_range(session: Session, environment_id: str, template_id: str | None, start: datetime | None, end: datetime | None) -> list[list[dict]]:
    query = _in_range(select(Verification.checks).join(Inquiry, Inquiry.id == Verification.inquiry_id), environment_id, template_id, start, end)
    return [row[0] or [] for row in session.execute(query)]


def deliveries_of_events(session: Session, environment_id: str, event_ids: list[str]) -> list[WebhookDelivery]:
    """Webhook deliveries of these events, oldest first."""
    if not event_ids:
        return []
    query = select(WebhookDelivery).where(WebhookDelivery.environment_id == environment_id, WebhookDelivery.event_id.in_(event_ids))
    return list(session.scalars(query.order_by(WebhookDelivery.created_at, WebhookDelivery.id)))
