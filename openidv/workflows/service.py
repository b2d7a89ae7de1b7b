"""Workflows: definitions, versions (one draft, immutable published ones), enabling, triggers, dry runs and run history.

The dashboard and the API both call these; none commits (the caller's unit of work does). Running is
`engine`'s; a trigger (an event follow-up, the schedule timer, the API) starts a run in the caller's transaction.
"""

from datetime import timedelta
from typing import Any

import jsonschema
from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.inquiries import repository as inquiries_repository
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, conflict, not_found, unprocessable
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult
from openidv.lifecycle import WorkflowStatus, WorkflowVersionStatus
from openidv.models import Event, Workflow, WorkflowRun, WorkflowRunStep, WorkflowVersion
from openidv.workflows import activation, engine, repository
from openidv.workflows.definition import ACTIONS, Definition, DefinitionError, definition_of, parse_definition

__all__ = [
    "ACTIONS", "Definition", "DefinitionError", "create_workflow", "disable", "dry_run", "enable", "get_run", "get_workflow", "parse_definition",
    "publish", "run_steps", "runs_of", "save_draft", "trigger_by_api", "start_on_event",
]

NEW_DRAFT = """trigger:
  event: inquiry.completed
steps:
  - name: approve
    action: approve
    with:
      comment: Approved by a workflow
"""


def definition_error(error: DefinitionError) -> ApiError:
    """A 422 in Persona's error shape, every problem at its line in `details` ("line 5: ...; line 9: ...")."""
    return unprocessable(str(error)[:2000], "data.attributes.definition")


# ------------------------------------------------------------------------------------------ definitions


def get_workflow(session: Session, environment_id: str, workflow_id: str, *, for_update: bool = False) -> Workflow:
    workflow = repository.workflow(session, environment_id, workflow_id, for_update=for_update)
    if workflow is None:
        raise not_found("workflow", workflow_id)
    return workflow


def create_workflow(session: Session, environment_id: str, name: str, source: str | None = None, *, actor: str | None) -> Workflow:
    """A disabled workflow with a draft (`source`, or a small example); raises DefinitionError for a bad source."""
    name = name.strip()
    if not name or len(name) > 255:
        raise unprocessable("A workflow's name has 1 to 255 characters", "data.attributes.name")
    if repository.workflow_by_name(session, environment_id, name) is not None:
        raise conflict(f"A workflow named {name} already exists", title="Record not unique")
    text = source if source is not None else NEW_DRAFT
    parse_definition(text)
    workflow = Workflow(id=new_id("wfl"), environment_id=environment_id, name=name, created_at=now(), updated_at=now())
    lifecycle.create(session, workflow, actor=actor)
    session.flush()
    _new_draft(session, workflow, text, actor)
    return workflow


def _new_draft(session: Session, workflow: Workflow, text: str, actor: str | None) -> WorkflowVersion:
    definition = parse_definition(text)
    draft = WorkflowVersion(id=new_id("wflv"), environment_id=workflow.environment_id, workflow_id=workflow.id, source=text,
                            definition=definition.as_dict(), last_updater=actor, created_at=now(), updated_at=now())
    lifecycle.create(session, draft, actor=actor)
    return draft


def draft_of(session: Session, workflow: Workflow) -> WorkflowVersion | None:
    return repository.draft_of(session, workflow.id)


def save_draft(session: Session, environment_id: str, workflow_id: str, source: str, *, actor: str | None) -> WorkflowVersion:
    """Replace the draft's text (or start a new draft after a publish); raises DefinitionError, saving nothing, when it is invalid."""
    workflow = get_workflow(session, environment_id, workflow_id, for_update=True)
    definition = parse_definition(source)
    draft = repository.draft_of(session, workflow.id)
    if draft is None:
        return _new_draft(session, workflow, source, actor)
    draft.source, draft.definition, draft.last_updater, draft.updated_at = source, definition.as_dict(), actor, now()
    return draft


def publish(session: Session, environment_id: str, workflow_id: str, *, description: str | None = None, actor: str | None) -> WorkflowVersion:
    """The draft becomes the next published version, never changed again, and the one new runs start on."""
    workflow = get_workflow(session, environment_id, workflow_id, for_update=True)
    draft = repository.draft_of(session, workflow.id)
    if draft is None:
        raise conflict("This workflow has no draft to publish")
    parse_definition(draft.source)  # checked again: the rules may have tightened since it was saved
    draft.number = repository.next_number(session, workflow.id)
    draft.description = description
    draft.last_updater = actor
    lifecycle.transition(session, draft, "publish", actor=actor)
    _go_live(workflow, draft)
    return draft


def _go_live(workflow: Workflow, version: WorkflowVersion) -> None:
    definition = definition_of(version)
    workflow.live_version_id = version.id
    workflow.trigger_type = definition.trigger_type
    workflow.trigger_event = definition.trigger.get("event")
    workflow.next_run_at = _next_slot(definition) if workflow.status == WorkflowStatus.ENABLED else None
    workflow.updated_at = now()


def _next_slot(definition: Definition) -> Any:
    schedule = definition.trigger.get("schedule")
    return now() + timedelta(minutes=schedule["every-minutes"]) if schedule else None


def enable(session: Session, environment_id: str, workflow_id: str, *, actor: str | None) -> Workflow:
    workflow = get_workflow(session, environment_id, workflow_id, for_update=True)
    if workflow.live_version_id is None:
        raise conflict("Publish a version of this workflow before enabling it")
    if workflow.status != WorkflowStatus.ENABLED:
        lifecycle.transition(session, workflow, "enable", actor=actor)
        _go_live(workflow, _version(session, workflow, workflow.live_version_id))
    return workflow


def disable(session: Session, environment_id: str, workflow_id: str, *, actor: str | None) -> Workflow:
    """New runs stop; runs under way finish."""
    workflow = get_workflow(session, environment_id, workflow_id, for_update=True)
    if workflow.status != WorkflowStatus.DISABLED:
        lifecycle.transition(session, workflow, "disable", actor=actor)
        workflow.next_run_at = None
    return workflow


def _version(session: Session, workflow: Workflow, version_id: str) -> WorkflowVersion:
    version = repository.version(session, workflow.environment_id, version_id)
    if version is None or version.workflow_id != workflow.id:
        raise not_found("workflow version", version_id)
    return version


def workflows_page(session: Session, environment_id: str, page: Page) -> PageResult[Workflow]:
    return repository.workflows_page(session, environment_id, page)


def versions_of(session: Session, environment_id: str, workflow_id: str, page: Page) -> PageResult[WorkflowVersion]:
    """Published versions and the draft, newest first (archived ones are left out, as Persona's list does)."""
    get_workflow(session, environment_id, workflow_id)
    return repository.versions_page(session, environment_id, workflow_id, page)


# ------------------------------------------------------------------------------------------ triggers


def start_on_event(session: Session, event: Event) -> None:
    """An events follow-up: each enabled workflow triggered by this event (and whose `if` holds) starts a run, in the
    event's transaction; the same follow-up resumes the runs waiting for it."""
    if event.name.startswith("workflow-run."):
        return
    engine.on_event(session, event)
    workflows = repository.started_by(session, event.environment_id, event.name)
    for workflow in workflows:
        version = session.get(WorkflowVersion, workflow.live_version_id)
        if version is None:
            continue
        definition = definition_of(version)
        object_type = event.object_type
        trigger = {"event": event.name, "event_id": event.id, "object_type": event.object_type, "object_id": event.object_id}
        condition = definition.trigger.get("if")
        if condition is not None:
            values = activation.build(session, event.environment_id, object_type, event.object_id, trigger=trigger, steps={})
            try:
                if not engine.evaluate(condition, values):
                    continue
            except engine.StepFailed:
                continue  # a filter that cannot be evaluated on this event does not match it
        engine.start(session, workflow, version, object_type=object_type, object_id=event.object_id, creator=("event", event.id), trigger=trigger)


def _validate_fields(definition: Definition, fields: dict[str, Any]) -> None:
    declared = (definition.trigger.get("api") or {}).get("fields") or {}
    schema = {"type": "object", "additionalProperties": False, "properties": {k: {"type": v["type"]} for k, v in declared.items()},
              "required": [k for k, v in declared.items() if v.get("required")]}
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(fields))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise unprocessable(f"fields{'.' + where if where else ''}: {error.message}", "data.attributes.fields")


def trigger_by_api(session: Session, environment_id: str, workflow_id: str, fields: dict[str, Any], *, actor: str | None,
                   creator: tuple[str, str] | None = None) -> WorkflowRun:
    """`POST /workflows/{id}/trigger`: a run of the live version of an enabled workflow with an API trigger, its fields
    checked against the fields the version declares. `fields["inquiry-id"]`, when given, names the inquiry it acts on."""
    workflow = get_workflow(session, environment_id, workflow_id, for_update=True)
    if workflow.status != WorkflowStatus.ENABLED or workflow.live_version_id is None:
        raise conflict("This workflow is not enabled")
    version = _version(session, workflow, workflow.live_version_id)
    definition = definition_of(version)
    if definition.trigger_type != "api":
        raise conflict(f"This workflow starts on {definition.trigger_type} triggers, not by the API")
    _validate_fields(definition, fields)
    object_type = object_id = None
    inquiry_id = fields.get("inquiry-id")
    if isinstance(inquiry_id, str):
        if inquiries_repository.get(session, environment_id, inquiry_id) is None:
            raise not_found("inquiry", inquiry_id)
        object_type, object_id = "inquiry", inquiry_id
    _ = actor
    return engine.start(session, workflow, version, object_type=object_type, object_id=object_id, creator=creator,
                        trigger={"fields": fields})


def start_scheduled(session: Session, workflow: Workflow) -> WorkflowRun | None:
    """The schedule timer's work for one due workflow: a run (about nothing in particular) and the next slot."""
    version = session.get(WorkflowVersion, workflow.live_version_id) if workflow.live_version_id else None
    if version is None:
        return None
    definition = definition_of(version)
    workflow.next_run_at = _next_slot(definition)
    return engine.start(session, workflow, version, object_type=None, object_id=None, creator=None, trigger={"schedule": definition.trigger["schedule"]})


# ------------------------------------------------------------------------------------------ dry run and history


def dry_run(session: Session, environment_id: str, version_or_definition: WorkflowVersion | Definition | str, inquiry_id: str) -> list[dict[str, Any]]:
    """The path a run on this inquiry would take, acting on nothing: per step its name, action, input, whether its
    condition holds, and `would` (do, skip, wait, stop). A run-report step cannot know the report's result: later
    conditions see the inquiry's latest report of that run's kind, or none."""
    if isinstance(version_or_definition, str):
        definition = parse_definition(version_or_definition)
    elif isinstance(version_or_definition, WorkflowVersion):
        if version_or_definition.environment_id != environment_id:
            raise not_found("workflow version", version_or_definition.id)
        definition = definition_of(version_or_definition)
    else:
        definition = version_or_definition
    inquiry = inquiries_repository.get(session, environment_id, inquiry_id)
    if inquiry is None:
        raise not_found("inquiry", inquiry_id)
    trace: list[dict[str, Any]] = []
    outcomes: dict[str, Any] = {}
    report_id: str | None = None
    for position, spec in enumerate(definition.steps):
        values = activation.build(session, environment_id, "inquiry", inquiry.id, steps=outcomes, report_id=report_id,
                                         trigger={"event": definition.trigger.get("event"), "object_type": "inquiry", "object_id": inquiry.id})
        entry: dict[str, Any] = {"position": position, "name": spec.name, "action": spec.action, "input": spec.params, "if": spec.condition}
        try:
            holds = spec.condition is None or engine.evaluate(spec.condition, values)
        except engine.StepFailed as exc:
            trace.append({**entry, "would": "error", "error": str(exc)})
            break
        entry["condition-holds"] = holds
        if not holds:
            trace.append({**entry, "would": "skip"})
            continue
        if spec.action == "run-report":
            latest = next((r for r in reversed(values["reports"])), None)
            report_id = latest["id"] if latest else None
            entry["assumes"] = {"report": latest}
        outcomes[spec.name] = {}
        trace.append({**entry, "would": "wait" if spec.action in ("run-report", "wait", "wait-for-event") else "do"})
        if spec.end:
            trace.append({"position": position + 1, "name": None, "action": None, "would": "stop"})
            break
    return trace


def runs_of(session: Session, environment_id: str, workflow_id: str | None, page: Page, *, status: str | None = None) -> PageResult[WorkflowRun]:
    """A workflow's runs (or the environment's, with `workflow_id` None), newest first."""
    return repository.runs_page(session, environment_id, page, workflow_id=workflow_id, status=status)


def get_run(session: Session, environment_id: str, run_id: str) -> WorkflowRun:
    run = repository.run(session, environment_id, run_id)
    if run is None:
        raise not_found("workflow run", run_id)
    return run


def run_steps(session: Session, run: WorkflowRun) -> list[WorkflowRunStep]:
    """The run's trace: each step as it happened (input, status, outcome, error), in order."""
    return repository.steps_of(session, run.id)


def live_version(session: Session, workflow: Workflow) -> WorkflowVersion | None:
    return session.get(WorkflowVersion, workflow.live_version_id) if workflow.live_version_id else None


def is_live(workflow: Workflow, version: WorkflowVersion) -> bool:
    return workflow.live_version_id == version.id and version.status == WorkflowVersionStatus.PUBLISHED
