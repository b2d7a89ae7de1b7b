"""SQL for the flow: look-ups across environments (the browser names no environment) and its own rows."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.models import FlowConsent, Inquiry, InquirySession, InquiryTemplate, InquiryTemplateVersion


def inquiry(db: Session, inquiry_id: str) -> Inquiry | None:
    return db.scalars(select(Inquiry).where(Inquiry.id == inquiry_id)).first()


def session(db: Session, session_id: str) -> InquirySession | None:
    return db.scalars(select(InquirySession).where(InquirySession.id == session_id)).first()


def environment_of_template(db: Session, template_ref: str) -> str | None:
    """The environment an `itmpl_`/`tmpl_` or `itmplv_` id lives in."""
    for model in (InquiryTemplate, InquiryTemplateVersion):
        found = db.scalars(select(model.environment_id).where(model.id == template_ref)).first()
        if found:
            return found
    return None


def template(db: Session, template_id: str) -> InquiryTemplate | None:
    return db.scalars(select(InquiryTemplate).where(InquiryTemplate.id == template_id)).first()


def consent_kinds(db: Session, inquiry_id: str) -> set[str]:
    return set(db.scalars(select(FlowConsent.kind).where(FlowConsent.inquiry_id == inquiry_id)))
