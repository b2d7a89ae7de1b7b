"""HTTP for inquiry templates: Persona's read endpoints plus openidv's write extensions."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api.context import ApiContext, Permission
from openidv.inquiry_templates import repository, schemas, service
from openidv.kit.errors import bad_request, not_found
from openidv.kit.jsonapi import Body, filters, get_bool, get_str, get_str_list, page_params
from openidv.models import InquiryTemplate, InquiryTemplateVersion

router = APIRouter()
read = Permission("inquiry.read")
write = Permission("inquiry.write")


def _render_template(db: Session, environment_id: str, template: InquiryTemplate) -> dict[str, Any]:
    latest = repository.get_version(db, environment_id, template.latest_published_version_id) if template.latest_published_version_id else None
    return schemas.render_template(template, schemas.field_schemas(latest))


def _template_doc(ctx: ApiContext, template: InquiryTemplate) -> dict[str, Any]:
    return _render_template(ctx.db, ctx.environment_id, template)


def _load_template(ctx: ApiContext, template_id: str) -> InquiryTemplate:
    template = repository.get_template(ctx.db, ctx.environment_id, template_id)
    if template is None:
        raise not_found("inquiry template", template_id)
    return template


def _load_version(ctx: ApiContext, version_id: str) -> InquiryTemplateVersion:
    version = repository.get_version(ctx.db, ctx.environment_id, version_id)
    if version is None:
        raise not_found("inquiry template version", version_id)
    return version


@router.get("/inquiry-templates")
def list_inquiry_templates(ctx: ApiContext = Depends(read)) -> Response:
    result = repository.list_templates(ctx.db, ctx.environment_id, page_params(ctx.query))
    return ctx.respond_page("/api/v1/inquiry-templates", result, lambda t: _template_doc(ctx, t))


@router.get("/inquiry-templates/{template_id}")
def retrieve_inquiry_template(template_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return ctx.respond({"data": _template_doc(ctx, _load_template(ctx, template_id))})


@router.get("/inquiry-template-versions")
def list_inquiry_template_versions(ctx: ApiContext = Depends(read)) -> Response:
    template_id = filters(ctx.query).get("inquiry-template-id")
    if not template_id:
        raise bad_request("filter[inquiry-template-id] is missing")
    template = _load_template(ctx, template_id)
    result = repository.list_versions(ctx.db, ctx.environment_id, template.id, page_params(ctx.query))
    return ctx.respond_page("/api/v1/inquiry-template-versions", result, lambda v: schemas.render_version(v, template.latest_published_version_id))


# ---------------------------------------------------------------- openidv extensions (documented in the README)


@router.get("/inquiry-template-versions/{version_id}")
def retrieve_inquiry_template_version(version_id: str, ctx: ApiContext = Depends(read)) -> Response:
    version = _load_version(ctx, version_id)
    template = _load_template(ctx, version.template_id)
    return ctx.respond({"data": schemas.render_version(version, template.latest_published_version_id), "meta": schemas.version_meta(version)})


@router.post("/inquiry-templates", status_code=201)
def create_inquiry_template(ctx: ApiContext = Depends(write)) -> Response:
    body = Body.of(ctx.body)
    attrs = body.attributes
    name = get_str(attrs, "name", "data.attributes", required=True, max_length=200) or ""
    if not name.strip():
        raise bad_request("data.attributes.name must be filled")
    config = service.parse_config(attrs.get("configuration"))
    template, version = service.create_template(
        ctx.db,
        ctx.environment_id,
        name.strip(),
        config,
        publish=get_bool(attrs, "publish", "data.attributes", True),
        embedded_flow_domain_allowlist=get_str_list(attrs, "embedded-flow-domain-allowlist", "data.attributes"),
        hosted_flow_redirect_uri_schemes=get_str_list(attrs, "hosted-flow-redirect-uri-schemes", "data.attributes"),
        redirect_uri_domain_allowlist=get_str_list(attrs, "redirect-uri-domain-allowlist", "data.attributes"),
        description=get_str(attrs, "description", "data.attributes"),
    )
    return ctx.respond({"data": _template_doc(ctx, template), "meta": {"inquiry-template-version-id": version.id}}, 201)


@router.patch("/inquiry-templates/{template_id}")
def update_inquiry_template(template_id: str, ctx: ApiContext = Depends(write)) -> Response:
    template = _load_template(ctx, template_id)
    attrs = Body.of(ctx.body).attributes
    name = get_str(attrs, "name", "data.attributes", max_length=200)
    if name is not None:
        if not name.strip():
            raise bad_request("data.attributes.name must be filled")
        template.name = name.strip()
    status = get_str(attrs, "status", "data.attributes")
    if status is not None:
        service.set_status(ctx.db, template, status)
    for key, column in (("embedded-flow-domain-allowlist", "embedded_flow_domain_allowlist"),
                        ("hosted-flow-redirect-uri-schemes", "hosted_flow_redirect_uri_schemes"),
                        ("redirect-uri-domain-allowlist", "redirect_uri_domain_allowlist")):
        value = get_str_list(attrs, key, "data.attributes")
        if value is not None:
            setattr(template, column, value)
    ctx.db.flush()
    return ctx.respond({"data": _template_doc(ctx, template)})


@router.post("/inquiry-templates/{template_id}/versions", status_code=201)
def create_inquiry_template_version(template_id: str, ctx: ApiContext = Depends(write)) -> Response:
    template = _load_template(ctx, template_id)
    attrs = Body.of(ctx.body).attributes
    version = service.new_version(
        ctx.db, template, service.parse_config(attrs.get("configuration")),
        name_display=get_str(attrs, "name-display", "data.attributes"), description=get_str(attrs, "description", "data.attributes"),
    )
    return ctx.respond({"data": schemas.render_version(version, template.latest_published_version_id), "meta": schemas.version_meta(version)}, 201)


@router.patch("/inquiry-template-versions/{version_id}")
def update_inquiry_template_version(version_id: str, ctx: ApiContext = Depends(write)) -> Response:
    version = _load_version(ctx, version_id)
    attrs = Body.of(ctx.body).attributes
    config = service.parse_config(attrs["configuration"]) if "configuration" in attrs else None
    service.update_draft(ctx.db, version, config, get_str(attrs, "name-display", "data.attributes"), get_str(attrs, "description", "data.attributes"))
    template = _load_template(ctx, version.template_id)
    return ctx.respond({"data": schemas.render_version(version, template.latest_published_version_id), "meta": schemas.version_meta(version)})


@router.post("/inquiry-template-versions/{version_id}/publish")
def publish_inquiry_template_version(version_id: str, ctx: ApiContext = Depends(write)) -> Response:
    version = _load_version(ctx, version_id)
    template = _load_template(ctx, version.template_id)
    service.publish_version(ctx.db, template, version)
    return ctx.respond({"data": schemas.render_version(version, template.latest_published_version_id), "meta": schemas.version_meta(version)})


def load_included_template(db: Session, environment_id: str, template_id: str) -> dict[str, Any] | None:
    template = repository.get_template(db, environment_id, template_id)
    return _render_template(db, environment_id, template) if template is not None else None


def load_included_version(db: Session, environment_id: str, version_id: str) -> dict[str, Any] | None:
    version = repository.get_version(db, environment_id, version_id)
    if version is None:
        return None
    template = repository.get_template(db, environment_id, version.template_id)
    return schemas.render_version(version, template.latest_published_version_id if template else None)

