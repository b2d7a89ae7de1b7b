"""SQL for documents."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.models import Document, Inquiry


def get(session: Session, environment_id: str, document_id: str) -> Document | None:
    row = session.get(Document, document_id)
    return row if row is not None and row.environment_id == environment_id else None


def environment_of(session: Session, document_id: str) -> str | None:
    """The environment a document lives in (no decryption: what a signed file link is checked against)."""
    return session.scalar(select(Document.environment_id).where(Document.id == document_id))


def get_for_update(session: Session, environment_id: str, document_id: str) -> Document | None:
    query = select(Document).where(Document.id == document_id, Document.environment_id == environment_id)
    return session.scalar(query.with_for_update())


def of_verification(session: Session, verification_id: str) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.verification_id == verification_id)))


def of_inquiry(session: Session, inquiry_id: str) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.inquiry_id == inquiry_id).order_by(Document.created_at)))


def inquiry(session: Session, environment_id: str, inquiry_id: str) -> Inquiry | None:
    """The inquiry a document is attached to."""
    row = session.get(Inquiry, inquiry_id)
    return row if row is not None and row.environment_id == environment_id else None
