"""JSON:API rendering of workflows, workflow versions, runs (spec schema `workflow-run`) and run steps (openidv's)."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, resource
from openidv.models import Workflow, WorkflowRun, WorkflowRunStep, WorkflowVersion
from openidv.workflows.definition import definition_of

# Persona's run creator is an administrator, a user or an event; a run started with an API key has none.
_CREATOR_TYPES = ("administrator", "user", "event")


def render_run(run: WorkflowRun) -> dict[str, Any]:
    creator = ref(run.creator_type, run.creator_id) if run.creator_type in _CREATOR_TYPES else {"data": None}
    return resource("workflow-run", run.id, {"status": run.status, "created-at": iso(run.created_at), "completed-at": iso(run.completed_at)},
                    {"creator": creator, "workflow": ref("workflow", run.workflow_id), "workflow-version": ref("workflow-version", run.version_id)})


def render_snapshot(session: Session, run: WorkflowRun) -> dict[str, Any]:  # noqa: ARG001 - the renderer signature
    return render_run(run)


def render_step(step: WorkflowRunStep) -> dict[str, Any]:
    return {"position": step.position, "name": step.name, "action": step.action, "status": step.status, "input": step.input,
            "outcome": step.outcome, "error": step.error, "started-at": iso(step.started_at), "finished-at": iso(step.finished_at)}


def render_run_trace(run: WorkflowRun, steps: list[WorkflowRunStep]) -> dict[str, Any]:
    """openidv's `GET /workflow-runs/{id}/steps`: the run's position, error and what is awaited, and each step."""
    return resource("workflow-run-trace", run.id, {"status": run.status, "position": run.position, "error": run.error,
                                                   "waiting-for": run.waiting_on, "wait-until": iso(run.wait_until),
                                                   "steps": [render_step(s) for s in steps]})


def render_version(version: WorkflowVersion, workflow: Workflow) -> dict[str, Any]:
    definition = definition_of(version)
    return resource("workflow-version", version.id, {
        "workflow-name": workflow.name, "description": version.description, "status": version.status,
        "trigger-type": definition.trigger_type, "live": workflow.live_version_id == version.id and workflow.status == "enabled",
        "rollout-label": None, "rollout-percentage": None, "last-updater": version.last_updater,
        "inputs": definition.inputs, "outputs": [], "created-at": iso(version.created_at), "updated-at": iso(version.updated_at),
        "published-at": iso(version.published_at),
    }, {"workflow": ref("workflow", workflow.id)})


def render_workflow(workflow: Workflow, draft: WorkflowVersion | None) -> dict[str, Any]:
    """openidv's workflow object (Persona's API has none): name, status, trigger, live version and draft."""
    return resource("workflow", workflow.id, {
        "name": workflow.name, "status": workflow.status, "trigger-type": workflow.trigger_type, "trigger-event": workflow.trigger_event,
        "draft-definition": draft.source if draft is not None else None, "created-at": iso(workflow.created_at),
        "updated-at": iso(workflow.updated_at), "enabled-at": iso(workflow.enabled_at), "disabled-at": iso(workflow.disabled_at),
    }, {"live-version": ref("workflow-version", workflow.live_version_id) if workflow.live_version_id else {"data": None},
        "draft-version": ref("workflow-version", draft.id) if draft is not None else {"data": None}})
