"""SQL for inquiry sessions and one-time links."""

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import FlowConsent, InquirySession, OneTimeLink


def get(session: Session, environment_id: str, session_id: str) -> InquirySession | None:
    row = session.get(InquirySession, session_id)
    return row if row is not None and row.environment_id == environment_id else None


def of_inquiry(session: Session, inquiry_id: str) -> list[InquirySession]:
    return list(session.scalars(select(InquirySession).where(InquirySession.inquiry_id == inquiry_id).order_by(InquirySession.created_at)))


def consents_of(session: Session, inquiry_id: str) -> list[FlowConsent]:
    """The consents the person gave in the flow, in the order given."""
    query = select(FlowConsent).where(FlowConsent.inquiry_id == inquiry_id)
    return list(session.scalars(query.order_by(FlowConsent.accepted_at, FlowConsent.id)))


def forget_clients(session: Session, inquiry_id: str) -> None:
    """A redacted inquiry's sessions lose the address and user agent that opened them."""
    session.execute(update(InquirySession).where(InquirySession.inquiry_id == inquiry_id).values(ip_address=None, user_agent=None))


def count_of_inquiry(session: Session, inquiry_id: str) -> int:
    return session.scalar(select(func.count()).select_from(InquirySession).where(InquirySession.inquiry_id == inquiry_id)) or 0


def list_page(session: Session, environment_id: str, page: Page, inquiry_ids: list[str] | None) -> PageResult[InquirySession]:
    query = select(InquirySession).where(InquirySession.environment_id == environment_id)
    if inquiry_ids:
        query = query.where(InquirySession.inquiry_id.in_(inquiry_ids))
    return paged(session, query, InquirySession, page)


def link_by_code_hash(session: Session, code_hash: str) -> OneTimeLink | None:
    return session.scalar(select(OneTimeLink).where(or_(OneTimeLink.code_hash == code_hash, OneTimeLink.short_code_hash == code_hash)))


def revoke_links_of_inquiry(session: Session, inquiry_id: str, at: datetime) -> None:
    session.execute(update(OneTimeLink).where(OneTimeLink.inquiry_id == inquiry_id, OneTimeLink.revoked_at.is_(None)).values(revoked_at=at))
