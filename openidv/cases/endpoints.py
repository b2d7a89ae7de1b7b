"""HTTP for cases and case templates (Persona's Cases API)."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.api.tags import tag_endpoints
from openidv.auth import repository as users
from openidv.cases import repository, schemas, service
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.kit.jsonapi import Body, filters, get_dict, get_str, get_str_list, page_params
from openidv.models import Case

router = APIRouter()
read = Permission("case.read")
write = Permission("case.write")
ATTR = "data.attributes"
CREATABLE = frozenset({"case-template-id", "creator-email-address", "case-queue-id", "fields"})
UPDATABLE = frozenset({"attachments", "case-queue-id", "fields"})
MAX_OBJECTS = 100


def _load(ctx: ApiContext, case_id: str) -> Case:
    case = repository.get(ctx.db, ctx.environment_id, case_id)
    if case is None:
        raise not_found("case", case_id)
    return case


def _document(ctx: ApiContext, case: Case, status: int = 200) -> Response:
    data = schemas.render_case(ctx.db, case)
    return ctx.respond(included.document(ctx.db, ctx.environment_id, data, ctx.include, permissions=ctx.api_key.permissions), status)


def _only(section: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise bad_request(f"{where}.{unknown[0]} is not a permitted attribute")


def _no_queue(attrs: dict[str, Any]) -> None:
    """openidv has no case queues yet: naming one is a missing record; null (leave any queue) is fine."""
    queue = get_str(attrs, "case-queue-id", ATTR, max_length=100)
    if queue is not None:
        raise not_found("case queue", queue)


def _object_ids(meta: dict[str, Any]) -> list[str]:
    ids = get_str_list(meta, "object-ids", "meta", max_items=MAX_OBJECTS) or []
    return list(dict.fromkeys(ids))


@router.get("/case-templates/{case_template_id}")
def retrieve_case_template(case_template_id: str, ctx: ApiContext = Depends(read)) -> Response:
    template = repository.template(ctx.db, ctx.environment_id, case_template_id)
    if template is None:
        raise not_found("case template", case_template_id)
    return ctx.respond({"data": schemas.render_template(template)})


@router.get("/cases")
def list_cases(ctx: ApiContext = Depends(read)) -> Response:
    wanted = {k: v for k, v in filters(ctx.query).items() if v}
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), wanted)
    return ctx.respond_page("/api/v1/cases", result, lambda case: schemas.render_case(ctx.db, case))


@router.post("/cases/search")
def search_cases(ctx: ApiContext = Depends(read)) -> Response:
    body = Body.of(ctx.body if ctx.body is not None else {})
    _only(body.raw, frozenset({"query", "sort", "page"}), "body")
    query = service.parse_query(body.raw["query"]) if body.raw.get("query") is not None else None
    service.check_sort(body.raw.get("sort"))
    paging = dict(ctx.query)
    page = get_dict(body.raw, "page", "body") or {}
    _only(page, frozenset({"after", "before", "size"}), "page")
    for key in ("after", "before", "size"):
        if page.get(key) is not None:
            paging[f"page[{key}]"] = str(page[key])
    result = repository.search_page(ctx.db, ctx.environment_id, page_params(paging), query)
    return ctx.respond_page("/api/v1/cases/search", result, lambda case: schemas.render_case(ctx.db, case))


@router.post("/cases", status_code=201)
def create_case(ctx: ApiContext = Depends(write)) -> Response:
    body = Body.of(ctx.body)
    attrs, meta = body.attributes, body.meta
    _only(attrs, CREATABLE, ATTR)
    _only(meta, frozenset({"object-ids", "sla-expires-in-seconds"}), "meta")
    template_id = get_str(attrs, "case-template-id", ATTR, required=True, max_length=100)
    _no_queue(attrs)
    creator = None
    email = get_str(attrs, "creator-email-address", ATTR, max_length=255)
    if email is not None:
        user = users.user_by_email(ctx.db, email.strip().lower())
        if user is None:
            raise ApiError(422, f"{ATTR}.creator-email-address: no dashboard user has the e-mail address {email}", title="Record invalid")
        creator = (user.email, "user")
    case = service.create_case(
        ctx.db, ctx.environment_id, objects=[("", object_id) for object_id in _object_ids(meta)],
        actor=ctx.actor, case_template_id=template_id, fields=get_dict(attrs, "fields", ATTR),
        sla_expires_at=service.sla_expiry(meta.get("sla-expires-in-seconds"), "meta.sla-expires-in-seconds"), creator=creator,
    )
    return _document(ctx, case, 201)


@router.get("/cases/{case_id}")
def retrieve_case(case_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _document(ctx, _load(ctx, case_id))


@router.patch("/cases/{case_id}")
def update_case(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    body = Body.of(ctx.body if ctx.body is not None else {})
    attrs, meta = body.attributes, body.meta
    _only(attrs, UPDATABLE, ATTR)
    _only(meta, frozenset({"sla-expires-in-seconds"}), "meta")
    _no_queue(attrs)
    if attrs.get("attachments"):
        raise ApiError(422, f"{ATTR}.attachments: case attachments are not supported by openidv", title="Record invalid")
    sla_given = "sla-expires-in-seconds" in meta
    sla = (sla_given, service.sla_expiry(meta.get("sla-expires-in-seconds"), "meta.sla-expires-in-seconds") if sla_given else None)
    service.update(ctx.db, case, fields=get_dict(attrs, "fields", ATTR), sla=sla, actor=ctx.actor)
    return _document(ctx, case)


@router.delete("/cases/{case_id}")
def redact_case(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    service.redact(ctx.db, case, ctx.actor)
    return _document(ctx, case)


@router.post("/cases/{case_id}/add-objects")
def add_objects(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    service.add_objects(ctx.db, case, _object_ids(Body.of(ctx.body if ctx.body is not None else {}).meta), ctx.actor)
    return _document(ctx, case)


@router.post("/cases/{case_id}/remove-objects")
def remove_objects(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    service.remove_objects(ctx.db, case, _object_ids(Body.of(ctx.body if ctx.body is not None else {}).meta), ctx.actor)
    return _document(ctx, case)


@router.post("/cases/{case_id}/assign")
def assign_case(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    email = get_str(Body.of(ctx.body).meta, "user-email-address", "meta", required=True, max_length=255) or ""
    service.assign(ctx.db, case, email, ctx.actor)
    return _document(ctx, case)


@router.post("/cases/{case_id}/set-status")
def set_status(case_id: str, ctx: ApiContext = Depends(write)) -> Response:
    case = _load(ctx, case_id)
    status = get_str(Body.of(ctx.body if ctx.body is not None else {}).meta, "status", "meta", required=True, max_length=60) or ""
    service.set_status(ctx.db, case, status, ctx.actor)
    return _document(ctx, case)


tag_endpoints(router, "/cases/{case_id}", write=write, load=_load, answer=_document,
              add=service.add_tag, remove=service.remove_tag, replace=service.set_tags)


def load_included_template(db: Session, environment_id: str, template_id: str) -> dict[str, Any] | None:
    template = repository.template(db, environment_id, template_id)
    return schemas.render_template(template) if template else None


def load_included_comment(db: Session, environment_id: str, comment_id: str) -> dict[str, Any] | None:
    comment = repository.comment(db, environment_id, comment_id)
    return schemas.render_comment(comment) if comment else None

