"""HTTP for reports (COMPAT.md §6) and the openidv report-template extension."""

from fastapi import APIRouter, Depends, Response

from openidv.api.context import ApiContext, Permission
from openidv.api.tags import tag_endpoints
from openidv.kit.errors import bad_request, conflict, not_found
from openidv.kit.jsonapi import Body, get_bool, get_dict, get_int, get_str, get_str_list, page_params
from openidv.models import Report
from openidv.reports import printing, repository, schemas, service
from openidv.tags import service as tag_names

router = APIRouter()
read = Permission("report.read")
write = Permission("report.write")
ATTR = "data.attributes"
WRITABLE = frozenset({"report-template-id", "account-id", "reference-id", "query", "tags"})
# `auto-create-account-type-id` is accepted and unused: accounts made here have the default type
META = frozenset({"auto-create-account", "auto-create-account-type-id", "auto-create-account-reference-id", "processing-mode", "request-flags"})


def _load(ctx: ApiContext, report_id: str) -> Report:
    report = repository.get(ctx.db, ctx.environment_id, report_id)
    if report is None:
        raise not_found("report", report_id)
    return report


def _answer(ctx: ApiContext, report: Report, status: int = 200) -> Response:
    return ctx.respond({"data": schemas.render_report(report)}, status)


@router.get("/reports")
def list_reports(ctx: ApiContext = Depends(read)) -> Response:
    def values(name: str) -> list[str]:
        snake = name.replace("-", "_")
        return [v for k, v in ctx.query_items if k.startswith(f"filter[{name}]") or k.startswith(f"filter[{snake}]")]

    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), values("reference-id") or None, values("account-id") or None)
    return ctx.respond_page("/api/v1/reports", result, schemas.render_report)


@router.post("/reports", status_code=201)
def create_report(ctx: ApiContext = Depends(write)) -> Response:
    body = Body.of(ctx.body)
    data = body.raw.get("data")
    kind = data.get("type") if isinstance(data, dict) else None
    if not isinstance(kind, str) or not kind.startswith("report/"):
        raise bad_request("data.type must be report/watchlist or report/politically-exposed-person")
    attrs = body.attributes
    unknown = sorted(set(attrs) - WRITABLE)
    if unknown:
        raise bad_request(f"{ATTR}.{unknown[0]} is not a permitted attribute")
    query = get_dict(attrs, "query", ATTR)
    if query is None:
        raise bad_request(f"{ATTR}.query is required")
    tags = get_str_list(attrs, "tags", ATTR)
    unknown_meta = sorted(set(body.meta) - META)
    if unknown_meta:
        raise bad_request(f"meta.{unknown_meta[0]} is not a permitted attribute")
    mode = get_str(body.meta, "processing-mode", "meta", max_length=10)
    if mode not in (None, "sync", "async"):
        raise bad_request("meta.processing-mode must be sync or async")
    sync = mode == "sync" or "sync" in (get_str_list(body.meta, "request-flags", "meta") or [])
    reference = get_str(body.meta, "auto-create-account-reference-id", "meta", max_length=255)
    report = service.create(
        ctx.db, ctx.environment_id, kind=kind.removeprefix("report/"), template_id=get_str(attrs, "report-template-id", ATTR, required=True) or "", query=query,
        account_id=get_str(attrs, "account-id", ATTR), auto_account_reference=reference if get_bool(body.meta, "auto-create-account", "meta", True) else None,
        reference_id=get_str(attrs, "reference-id", ATTR, max_length=255), tags=tag_names.clean(tags, f"{ATTR}.tags") if tags else [],
        actor=ctx.actor, sync=sync,
    )
    return _answer(ctx, report, 201)


@router.get("/reports/{report_id}")
def retrieve_report(report_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _answer(ctx, _load(ctx, report_id))


@router.delete("/reports/{report_id}")
def redact_report(report_id: str, ctx: ApiContext = Depends(write)) -> Response:
    report = _load(ctx, report_id)
    service.redact(ctx.db, report, ctx.actor)
    return _answer(ctx, report)


tag_endpoints(router, "/reports/{report_id}", write=write, load=_load, answer=_answer,
              add=service.add_tags, remove=service.remove_tags, replace=service.set_tags)


@router.post("/reports/{report_id}/dismiss")
def dismiss(report_id: str, ctx: ApiContext = Depends(write)) -> Response:
    report = _load(ctx, report_id)
    attrs = Body.of(ctx.body).attributes
    reason = get_str(attrs, "reason", ATTR, max_length=1000) or ""
    service.dismiss(ctx.db, report, entity_id=get_str(attrs, "entity-id", ATTR, max_length=200), reason=reason, actor=ctx.actor)
    return _answer(ctx, report)


@router.post("/reports/{report_id}/pause")
def pause(report_id: str, ctx: ApiContext = Depends(write)) -> Response:
    report = _load(ctx, report_id)
    service.pause(ctx.db, report, ctx.actor)
    return _answer(ctx, report)


@router.post("/reports/{report_id}/resume")
def resume(report_id: str, ctx: ApiContext = Depends(write)) -> Response:
    report = _load(ctx, report_id)
    service.resume(ctx.db, report, ctx.actor)
    return _answer(ctx, report)


@router.post("/reports/{report_id}/run")
def run(report_id: str, ctx: ApiContext = Depends(write)) -> Response:
    report = _load(ctx, report_id)
    service.request_run(ctx.db, report, actor=ctx.actor)
    return _answer(ctx, report)


@router.get("/reports/{report_id}/print")
def print_report(report_id: str, ctx: ApiContext = Depends(read)) -> Response:
    report = _load(ctx, report_id)
    if report.redacted_at is not None:
        raise conflict("Cannot print a redacted report")
    return Response(printing.render(report), media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{printing.filename(report)}"'})


@router.get("/reports/{report_id}/history")
def history(report_id: str, ctx: ApiContext = Depends(read)) -> Response:
    report = _load(ctx, report_id)
    return ctx.respond({"data": schemas.render_history(report), "links": {"prev": None, "next": None}})


# ------------------------------------------------------------------ openidv extension: report templates


@router.get("/report-templates")
def list_templates(ctx: ApiContext = Depends(read)) -> Response:
    return ctx.respond_page("/api/v1/report-templates", repository.templates_page(ctx.db, ctx.environment_id, page_params(ctx.query)), schemas.render_template)


@router.post("/report-templates", status_code=201)
def create_template(ctx: ApiContext = Depends(write)) -> Response:
    attrs = Body.of(ctx.body).attributes
    template = service.create_template(
        ctx.db, ctx.environment_id, kind=(get_str(attrs, "kind", ATTR, required=True) or "").removeprefix("report/"),
        name=get_str(attrs, "name", ATTR, required=True, max_length=255) or "", lists_=get_str_list(attrs, "lists", ATTR) or [],
        match_preset=get_str(attrs, "match-preset", ATTR) or "strict", rerun_interval_days=get_int(attrs, "rerun-interval-days", ATTR, minimum=1),
    )
    return ctx.respond({"data": schemas.render_template(template)}, 201)


@router.get("/report-templates/{template_id}")
def retrieve_template(template_id: str, ctx: ApiContext = Depends(read)) -> Response:
    template = repository.template(ctx.db, ctx.environment_id, template_id)
    if template is None:
        raise not_found("report template", template_id)
    return ctx.respond({"data": schemas.render_template(template)})

