"""HTTP for workflows: Persona's Workflows API (trigger a run, list and retrieve runs, list versions) and openidv's
extensions to define, publish, enable, disable and dry-run workflows and to read a run's step trace. Persona names
one permission for workflows, `workflow.trigger`; every operation here takes it."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, Response

from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import Body, filters, get_dict, get_str, page_params, resource
from openidv.models import Workflow
from openidv.workflows import schemas, service

router = APIRouter()
workflows = Permission("workflow.trigger")
ATTR = "data.attributes"
RUN_STATUSES = ("running", "waiting", "completed", "errored")


@contextmanager
def _definition_errors() -> Iterator[None]:
    try:
        yield
    except service.DefinitionError as exc:
        raise service.definition_error(exc) from None


def _only(attrs: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(attrs) - allowed)
    if unknown:
        raise bad_request(f"{ATTR}.{unknown[0]} is not a permitted attribute")


def _workflow(ctx: ApiContext, workflow: Workflow, status: int = 200) -> Response:
    return ctx.respond({"data": schemas.render_workflow(workflow, service.draft_of(ctx.db, workflow))}, status)


# ------------------------------------------------------------------ Persona's Workflows API


@router.post("/workflows/{workflow_id}/trigger")
def trigger(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    attrs = Body.of(ctx.body).attributes
    _only(attrs, {"fields"})
    fields = get_dict(attrs, "fields", ATTR)
    if fields is None:
        raise bad_request(f"{ATTR}.fields is required")
    run = service.trigger_by_api(ctx.db, ctx.environment_id, workflow_id, fields, actor=ctx.actor)
    return ctx.respond({"data": schemas.render_run(run)})


@router.get("/workflow-runs")
def list_runs(ctx: ApiContext = Depends(workflows)) -> Response:
    wanted = filters(ctx.query)
    status = wanted.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise bad_request(f"filter[status] must be one of {', '.join(RUN_STATUSES)}")
    result = service.runs_of(ctx.db, ctx.environment_id, wanted.get("workflow-id"), page_params(ctx.query), status=status)
    return ctx.respond_page("/api/v1/workflow-runs", result, schemas.render_run)


@router.get("/workflow-runs/{run_id}")
def retrieve_run(run_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    return ctx.respond({"data": schemas.render_run(service.get_run(ctx.db, ctx.environment_id, run_id))})


@router.get("/workflow-versions")
def list_versions(ctx: ApiContext = Depends(workflows)) -> Response:
    workflow_id = filters(ctx.query).get("workflow-id")
    if not workflow_id:
        raise bad_request("filter[workflow-id] is required")
    workflow = service.get_workflow(ctx.db, ctx.environment_id, workflow_id)
    result = service.versions_of(ctx.db, ctx.environment_id, workflow_id, page_params(ctx.query))
    return ctx.respond_page("/api/v1/workflow-versions", result, lambda version: schemas.render_version(version, workflow))


# ------------------------------------------------------------------ openidv extensions


@router.get("/workflow-runs/{run_id}/steps")
def run_trace(run_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    """The run's step-by-step trace (Persona's run object has no room for it)."""
    run = service.get_run(ctx.db, ctx.environment_id, run_id)
    return ctx.respond({"data": schemas.render_run_trace(run, service.run_steps(ctx.db, run))})


@router.get("/workflows")
def list_workflows(ctx: ApiContext = Depends(workflows)) -> Response:
    result = service.workflows_page(ctx.db, ctx.environment_id, page_params(ctx.query))
    return ctx.respond_page("/api/v1/workflows", result, lambda workflow: schemas.render_workflow(workflow, service.draft_of(ctx.db, workflow)))


@router.post("/workflows", status_code=201)
def create_workflow(ctx: ApiContext = Depends(workflows)) -> Response:
    attrs = Body.of(ctx.body).attributes
    _only(attrs, {"name", "definition"})
    name = get_str(attrs, "name", ATTR, required=True, max_length=255) or ""
    with _definition_errors():
        workflow = service.create_workflow(ctx.db, ctx.environment_id, name, get_str(attrs, "definition", ATTR, max_length=200_000), actor=ctx.actor)
    return _workflow(ctx, workflow, 201)


@router.get("/workflows/{workflow_id}")
def retrieve_workflow(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    return _workflow(ctx, service.get_workflow(ctx.db, ctx.environment_id, workflow_id))


@router.patch("/workflows/{workflow_id}")
def update_draft(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    attrs = Body.of(ctx.body).attributes
    _only(attrs, {"definition"})
    source = get_str(attrs, "definition", ATTR, required=True, max_length=200_000) or ""
    with _definition_errors():
        service.save_draft(ctx.db, ctx.environment_id, workflow_id, source, actor=ctx.actor)
    return _workflow(ctx, service.get_workflow(ctx.db, ctx.environment_id, workflow_id))


@router.post("/workflows/{workflow_id}/publish")
def publish(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    attrs = Body.of(ctx.body).attributes
    _only(attrs, {"description"})
    with _definition_errors():
        version = service.publish(ctx.db, ctx.environment_id, workflow_id, description=get_str(attrs, "description", ATTR, max_length=2000),
                                  actor=ctx.actor)
    return ctx.respond({"data": schemas.render_version(version, service.get_workflow(ctx.db, ctx.environment_id, workflow_id))})


@router.post("/workflows/{workflow_id}/enable")
def enable(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    return _workflow(ctx, service.enable(ctx.db, ctx.environment_id, workflow_id, actor=ctx.actor))


@router.post("/workflows/{workflow_id}/disable")
def disable(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    return _workflow(ctx, service.disable(ctx.db, ctx.environment_id, workflow_id, actor=ctx.actor))


@router.post("/workflows/{workflow_id}/dry-run")
def dry_run(workflow_id: str, ctx: ApiContext = Depends(workflows)) -> Response:
    """The path a run of the draft (or, with `version: live`, the live version) would take on an inquiry, acting on nothing."""
    attrs = Body.of(ctx.body).attributes
    _only(attrs, {"inquiry-id", "version"})
    inquiry_id = get_str(attrs, "inquiry-id", ATTR, required=True, max_length=40) or ""
    workflow = service.get_workflow(ctx.db, ctx.environment_id, workflow_id)
    which = get_str(attrs, "version", ATTR, max_length=10) or "draft"
    if which not in ("draft", "live"):
        raise bad_request(f"{ATTR}.version must be draft or live")
    version = service.draft_of(ctx.db, workflow) if which == "draft" else service.live_version(ctx.db, workflow)
    if version is None:
        raise bad_request(f"This workflow has no {which} version")
    trace = service.dry_run(ctx.db, ctx.environment_id, version, inquiry_id)
    return ctx.respond({"data": resource("workflow-dry-run", workflow.id, {"version-id": version.id, "inquiry-id": inquiry_id, "steps": trace})})
