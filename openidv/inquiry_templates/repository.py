"""SQL for inquiry templates and their versions."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import InquiryTemplate, InquiryTemplateVersion


def get_template(session: Session, environment_id: str, template_id: str) -> InquiryTemplate | None:
    template = session.get(InquiryTemplate, template_id)
    return template if template is not None and template.environment_id == environment_id else None


def template_and_latest(session: Session, environment_id: str, template_id: str) -> tuple[InquiryTemplate | None, InquiryTemplateVersion | None]:
    """A template and its latest published version (None when it has none) in one round trip: every inquiry's creation
    needs both."""
    latest = InquiryTemplateVersion.id == InquiryTemplate.latest_published_version_id
    query = select(InquiryTemplate, InquiryTemplateVersion).outerjoin(InquiryTemplateVersion, latest).where(InquiryTemplate.id == template_id)
    row = session.execute(query).first()
    if row is None or row[0].environment_id != environment_id:
        return None, None
    version = row[1]
    return row[0], version if version is not None and version.environment_id == environment_id else None


def get_version(session: Session, environment_id: str, version_id: str) -> InquiryTemplateVersion | None:
    version = session.get(InquiryTemplateVersion, version_id)
    return version if version is not None and version.environment_id == environment_id else None


def template_by_name(session: Session, environment_id: str, name: str) -> InquiryTemplate | None:
    return session.scalar(select(InquiryTemplate).where(InquiryTemplate.environment_id == environment_id, InquiryTemplate.name == name))


def list_templates(session: Session, environment_id: str, page: Page) -> PageResult[InquiryTemplate]:
    query = select(InquiryTemplate).where(InquiryTemplate.environment_id == environment_id)
    return paged(session, query, InquiryTemplate, page)


def list_versions(session: Session, environment_id: str, template_id: str, page: Page) -> PageResult[InquiryTemplateVersion]:
    query = select(InquiryTemplateVersion).where(
        InquiryTemplateVersion.environment_id == environment_id, InquiryTemplateVersion.template_id == template_id
    )
    return paged(session, query, InquiryTemplateVersion, page)


def all_templates(session: Session, environment_id: str) -> list[InquiryTemplate]:
    return list(session.scalars(select(InquiryTemplate).where(InquiryTemplate.environment_id == environment_id).order_by(InquiryTemplate.name)))
