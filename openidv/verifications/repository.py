"""SQL for verifications."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.models import InquiryTemplateVersion, Verification


def get(session: Session, environment_id: str, verification_id: str) -> Verification | None:
    row = session.get(Verification, verification_id)
    return row if row is not None and row.environment_id == environment_id else None


def get_for_update(session: Session, environment_id: str, verification_id: str) -> Verification | None:
    """Lock the row on PostgreSQL so two confirmations of one code queue (SQLite's writer lock does it there)."""
    return session.scalar(select(Verification).where(Verification.id == verification_id, Verification.environment_id == environment_id).with_for_update())


def published_versions(session: Session, environment_id: str) -> list[InquiryTemplateVersion]:
    """Where a verification template id (a step of some version) is looked up when no inquiry is given."""
    query = select(InquiryTemplateVersion).where(InquiryTemplateVersion.environment_id == environment_id, InquiryTemplateVersion.status == "published")
    return list(session.scalars(query.order_by(InquiryTemplateVersion.created_at.desc())))
