"""Template rules: versions are immutable once published; `itmpl_` means its latest published version."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.inquiry_templates import repository
from openidv.inquiry_templates.config import TemplateConfig
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found
from openidv.kit.ids import has_prefix, new_id
from openidv.kit.inflection import inflect
from openidv.lifecycle import InquiryTemplateStatus, InquiryTemplateVersionStatus
from openidv.models import Inquiry, InquiryTemplate, InquiryTemplateVersion


def parse_config(raw: dict[str, Any] | None, where: str = "data.attributes.configuration") -> TemplateConfig:
    if raw is not None and not isinstance(raw, dict):
        raise bad_request(f"{where} must be an object")
    try:
        # Request bodies arrive with kebab keys; the configuration's own keys are snake_case.
        return TemplateConfig.model_validate(inflect(raw or {}, "snake"))
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise bad_request(f"{where}{'.' + location if location else ''}: {first['msg']}") from None


_config_cache: dict[tuple[str, str], TemplateConfig] = {}


def config_of(version: InquiryTemplateVersion) -> TemplateConfig:
    """Parsed configuration; published versions are immutable, so their parse is cached."""
    key = (version.id, str(version.updated_at))
    cached = _config_cache.get(key)
    if cached is None:
        cached = TemplateConfig.model_validate(version.config)
        if len(_config_cache) > 2048:
            _config_cache.clear()
        _config_cache[key] = cached
    return cached


def inquiry_config(session: Session, inquiry: Inquiry) -> TemplateConfig:
    """The configuration of the template version an inquiry was created from."""
    version = repository.get_version(session, inquiry.environment_id, inquiry.template_version_id)
    if version is None:  # inquiries.template_version_id is a non-null foreign key into the inquiry's environment
        raise LookupError(f"inquiry {inquiry.id}: template version {inquiry.template_version_id} does not exist")
    return config_of(version)


def create_template(
    session: Session,
    environment_id: str,
    name: str,
    config: TemplateConfig,
    *,
    publish: bool = True,
    embedded_flow_domain_allowlist: list[str] | None = None,
    hosted_flow_redirect_uri_schemes: list[str] | None = None,
    redirect_uri_domain_allowlist: list[str] | None = None,
    name_display: str | None = None,
    description: str | None = None,
) -> tuple[InquiryTemplate, InquiryTemplateVersion]:
    template = InquiryTemplate(
        id=new_id("itmpl"),
        environment_id=environment_id,
        name=name,
        status="active",
        embedded_flow_domain_allowlist=embedded_flow_domain_allowlist or [],
        hosted_flow_redirect_uri_schemes=hosted_flow_redirect_uri_schemes or [],
        redirect_uri_domain_allowlist=redirect_uri_domain_allowlist or [],
        created_at=now(),
        updated_at=now(),
    )
    session.add(template)
    session.flush()
    version = new_version(session, template, config, name_display=name_display or name, description=description)
    if publish:
        publish_version(session, template, version)
    return template, version


def new_version(
    session: Session, template: InquiryTemplate, config: TemplateConfig, *, name_display: str | None = None, description: str | None = None
) -> InquiryTemplateVersion:
    version = InquiryTemplateVersion(
        id=new_id("itmplv"),
        template_id=template.id,
        environment_id=template.environment_id,
        status="draft",
        name_display=name_display or template.name,
        description=description,
        config=config.model_dump(mode="json"),
        created_at=now(),
        updated_at=now(),
    )
    session.add(version)
    session.flush()
    return version


def update_draft(session: Session, version: InquiryTemplateVersion, config: TemplateConfig | None, name_display: str | None, description: str | None) -> None:
    if version.status != InquiryTemplateVersionStatus.DRAFT:
        raise conflict("Published inquiry template versions are immutable; create a new version")
    if config is not None:
        version.config = config.model_dump(mode="json")
    if name_display is not None:
        version.name_display = name_display
    if description is not None:
        version.description = description
    version.updated_at = now()
    session.flush()


def publish_version(session: Session, template: InquiryTemplate, version: InquiryTemplateVersion) -> None:
    if version.template_id != template.id:
        raise bad_request("version does not belong to this template")
    if version.status == InquiryTemplateVersionStatus.PUBLISHED:
        raise conflict("Inquiry template version is already published")
    lifecycle.transition(session, version, "publish")
    template.latest_published_version_id = version.id
    template.updated_at = now()
    session.flush()


def set_status(session: Session, template: InquiryTemplate, status: str) -> None:
    if status not in tuple(InquiryTemplateStatus):
        raise bad_request("data.attributes.status must be active or inactive")
    if status != template.status:
        lifecycle.transition(session, template, "activate" if status == InquiryTemplateStatus.ACTIVE else "deactivate")


def resolve_for_inquiry(session: Session, environment_id: str, template_ref: str, where: str) -> tuple[InquiryTemplate, InquiryTemplateVersion]:
    """An `itmpl_` (its latest published version) or a published `itmplv_`, in this environment."""
    if has_prefix(template_ref, "itmplv"):
        version = repository.get_version(session, environment_id, template_ref)
        if version is None:
            raise not_found("inquiry template version", template_ref)
        if version.status != InquiryTemplateVersionStatus.PUBLISHED:
            raise ApiError(422, f"{where}: inquiry template version {template_ref} is not published", title="Unprocessable entity")
        template = repository.get_template(session, environment_id, version.template_id)
        assert template is not None
    elif has_prefix(template_ref, "itmpl") or has_prefix(template_ref, "tmpl"):
        template, latest = repository.template_and_latest(session, environment_id, template_ref)
        if template is None:
            raise not_found("inquiry template", template_ref)
        if template.latest_published_version_id is None:
            raise ApiError(422, f"inquiry template {template_ref} has no published version", title="Unprocessable entity")
        assert latest is not None
        version = latest
    else:
        raise bad_request(f"{where} must be an inquiry template id (itmpl_…) or version id (itmplv_…)")
    if template.status != InquiryTemplateStatus.ACTIVE:
        raise ApiError(422, f"inquiry template {template.id} is inactive", title="Unprocessable entity")
    return template, version
