"""The dashboard's workflows: the list, one workflow's editor (its draft as YAML or JSON, checked against the
definition schema with each error at its line), publish, enable, disable, a dry run of the editor's text against
an existing inquiry (the path a run would take, acting on nothing), and the run history with each step's trace.
Everything goes through `openidv.workflows.service`; changes are for admins and audited."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.dashboard import auth, pages, service
from openidv.kit.errors import ApiError, not_found
from openidv.kit.jsonapi import Page
from openidv.models import Workflow
from openidv.workflows import service as workflows
from openidv.workflows.definition import DefinitionError

router = APIRouter(include_in_schema=False)
LIST = f"{pages.HOME}/workflows"
RUNS = f"{pages.HOME}/workflow-runs"
MAX_SOURCE = 200_000


def _admin(who: auth.DashboardSession) -> None:
    if not who.is_admin:
        raise ApiError(403, "Only admins change workflows.")


def _editor(db: Session, env_id: str, workflow: Workflow, **values: Any) -> dict[str, Any]:
    """What the editor page shows: the draft's text (or the live version's), versions, recent runs, and what an
    action left (errors at their lines, a dry run's trace)."""
    draft = workflows.draft_of(db, workflow)
    live = workflows.live_version(db, workflow)
    source = values.pop("source", None)
    shown = draft or live
    return {
        "workflow": workflow, "draft": draft, "live": live, "title": f"Workflow {workflow.name}",
        "source": source if source is not None else shown.source if shown else "",
        "versions": workflows.versions_of(db, env_id, workflow.id, Page(size=20, after=None, before=None)).items,
        "runs": workflows.runs_of(db, env_id, workflow.id, Page(size=20, after=None, before=None)).items,
        "errors": [], "trace": None, "inquiry_id": "", **values,
    }


@router.get(LIST)
def workflow_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        result = workflows.workflows_page(db, env_id, pages.page_of(request))
        return "workflows.html", {"result": result, "links": pages.links(result, {}), "title": "Workflows"}

    return pages.page(request, build)


@router.post(LIST)
async def create_workflow(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        _admin(who)
        workflow = workflows.create_workflow(db, env_id, form.get("name", ""), actor=who.user.id)
        service.audit(db, who, env_id, "workflow.create", workflow.id, None, workflow.status, workflow.name)
        return pages.to(f"{LIST}/{workflow.id}")

    return await pages.action(request, run)


@router.get(LIST + "/{workflow_id}")
def workflow_page(request: Request, workflow_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        return "workflow.html", _editor(db, env_id, workflows.get_workflow(db, env_id, workflow_id))

    return pages.page(request, build)


@router.post(LIST + "/{workflow_id}/{what}")
async def workflow_action(request: Request, workflow_id: str, what: str) -> Response:
    """save (the draft), dry-run (the editor's text, saving nothing), publish, enable, disable."""
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        workflow = workflows.get_workflow(db, env_id, workflow_id)
        source = form.get("source", "")[:MAX_SOURCE + 1]
        if what == "dry-run":  # reads only: viewers and reviewers may try a definition too
            inquiry_id = form.get("inquiry", "").strip()
            try:
                trace = workflows.dry_run(db, env_id, source, inquiry_id)
            except DefinitionError as error:
                return _page(who, form, _editor(db, env_id, workflow, source=source, errors=error.errors, inquiry_id=inquiry_id), 422)
            return _page(who, form, _editor(db, env_id, workflow, source=source, trace=trace, inquiry_id=inquiry_id))
        _admin(who)
        before = workflow.status
        if what == "save":
            try:
                workflows.save_draft(db, env_id, workflow.id, source, actor=who.user.id)
            except DefinitionError as error:  # nothing saved: the text comes back with its errors at their lines
                return _page(who, form, _editor(db, env_id, workflow, source=source, errors=error.errors), 422)
        elif what == "publish":
            version = workflows.publish(db, env_id, workflow.id, actor=who.user.id)
            service.audit(db, who, env_id, "workflow.publish", workflow.id, before, workflow.status, f"{version.id} (version {version.number})")
            return pages.to(f"{LIST}/{workflow.id}")
        elif what == "enable":
            workflows.enable(db, env_id, workflow.id, actor=who.user.id)
        elif what == "disable":
            workflows.disable(db, env_id, workflow.id, actor=who.user.id)
        else:
            raise not_found("workflow action", what)
        service.audit(db, who, env_id, f"workflow.{what}", workflow.id, before, workflow.status)
        return pages.to(f"{LIST}/{workflow.id}")

    return await pages.action(request, run)


def _page(who: auth.DashboardSession, form: dict[str, str], values: dict[str, Any], status: int = 200) -> Response:
    return pages.render("workflow.html", status, who=who, csrf=form.get("csrf", ""), **values)


@router.get(RUNS + "/{run_id}")
def run_page(request: Request, run_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        run = workflows.get_run(db, env_id, run_id)
        workflow = workflows.get_workflow(db, env_id, run.workflow_id)
        return "workflow_run.html", {"run": run, "workflow": workflow, "steps": workflows.run_steps(db, run), "title": f"Run {run.id}"}

    return pages.page(request, build)
