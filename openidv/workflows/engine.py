"""Running workflows: start a run, do its steps one job each, wait and resume.

A run is at `position`. Its job (`workflows.step`, enqueued when the run starts and when it resumes, keyed by run
and position) drives it step by step, one transaction per step: lock the run, evaluate the step's condition, do
its action, record the step (input, outcome, error) and move the run to the next position, all committed
together; then the next step, until the run waits or ends. A worker killed between two steps leaves its job to
run again, which goes on from the run's position: a step committed is never done again, a step not committed
left nothing and is done once. Outside effects (an e-mail, an HTTP call) cannot join the transaction: they are
at least once, and the HTTP call carries an `Idempotency-Key` of the run and step for the receiver.

A step that waits (a report's result, an event, a delay) leaves the run `waiting` on a key; the event that
matches it (or the delayed wake job) resumes the run in that event's transaction.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import cel
from sqlalchemy.orm import Session

from openidv import jobs, lifecycle
from openidv.accounts import service as accounts
from openidv.cases import service as cases
from openidv.inquiries import repository as inquiries_repository, service as inquiries
from openidv.kit.clock import now
from openidv.kit.errors import ApiError
from openidv.kit.ids import new_id
from openidv.lifecycle import WorkflowRunStatus
from openidv.models import Environment, Event, Inquiry, Report, Workflow, WorkflowRun, WorkflowRunStep, WorkflowVersion
from openidv.providers import Message, SendError, sender
from openidv.reports import repository as reports_repository, service as reports
from openidv.tags import service as tag_names
from openidv.webhooks import delivery
from openidv.workflows import activation, repository
from openidv.workflows.definition import Definition, Step, definition_of

STEP_JOB = "workflows.step"
WAKE_JOB = "workflows.wake"
log = logging.getLogger("openidv.workflows")


class StepFailed(Exception):
    """The step cannot be done (no inquiry to act on, a condition that is not a boolean...): the run errors."""


@dataclass
class Outcome:
    values: dict[str, Any] = field(default_factory=dict)
    wait_on: str | None = None  # the key an event resumes the run with
    wait_seconds: int | None = None  # a wake job after this long (a delay, or a wait's timeout)


def actor_of(run: WorkflowRun) -> str:
    """Who acts, in events and audit: the run (Persona's reviewer `workflow-run`/`wfr_`)."""
    return run.id


# ----------------------------------------------------------------------------------------------- starting


def start(session: Session, workflow: Workflow, version: WorkflowVersion, *, object_type: str | None, object_id: str | None,
          creator: tuple[str, str] | None, trigger: dict[str, Any]) -> WorkflowRun:
    """A `running` run at its first step, its `workflow-run.created` event and its first step's job, in the caller's transaction."""
    run = WorkflowRun(id=new_id("wfr"), environment_id=workflow.environment_id, workflow_id=workflow.id, version_id=version.id, position=0,
                      object_type=object_type, object_id=object_id, creator_type=creator[0] if creator else None,
                      creator_id=creator[1] if creator else None, created_at=now(), updated_at=now())
    run.trigger = trigger
    lifecycle.create(session, run, actor=creator[1] if creator else None)
    _queue_step(session, run)
    return run


def _queue_step(session: Session, run: WorkflowRun) -> None:
    jobs.enqueue_in_tx(session, STEP_JOB, key=f"wfr:{run.id}:{run.position}", run_id=run.id, position=run.position)


# ----------------------------------------------------------------------------------------------- stepping


def evaluate(expression: str, values: dict[str, Any]) -> bool:
    """A condition's value; anything but a boolean, or an evaluation error (a missing key...), fails the step."""
    try:
        result = cel.evaluate(expression, values)
    except Exception as exc:
        raise StepFailed(f"condition {expression!r} could not be evaluated: {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, bool):
        raise StepFailed(f"condition {expression!r} gave {result!r}, not true or false")
    return result


def values_for(session: Session, run: WorkflowRun) -> dict[str, Any]:
    """The activation of the run's next condition: its object, relations, trigger and the outcomes so far."""
    done = [s for s in repository.steps_of(session, run.id) if s.status == "done"]
    report_id = next((s.outcome.get("report", {}).get("id") for s in reversed(done) if s.action == "run-report" and s.outcome.get("report")), None)
    return activation.build(session, run.environment_id, run.object_type, run.object_id, trigger=run.trigger,
                            steps={s.name: s.outcome for s in done}, report_id=report_id)


# Actions with effects outside the database: each in a transaction of its own, committed right after the effect.
OUTSIDE = ("send-email", "call-http")


def step(session: Session, run_id: str, since: int) -> bool:
    """The steps of a running run that its job (started at position `since`) drives, in this transaction while they
    act on the database only (so a chain of decisions costs one commit); True while the run goes on in another
    transaction. Does nothing when the run waits, ended, or resumed under another job (at a position before `since`)."""
    run = repository.run_for_step(session, run_id)
    if run is None or run.status != WorkflowRunStatus.RUNNING or run.position < since:
        return False
    definition = definition_of(session.get(WorkflowVersion, run.version_id))
    first = True
    while True:
        spec = definition.steps[run.position] if run.position < len(definition.steps) else None
        if spec is not None and spec.action in OUTSIDE and not first:
            return True  # commit what is done before the outside effect
        going = _one(session, run, definition)
        if not going or (spec is not None and spec.action in OUTSIDE):
            return going
        first = False


def _one(session: Session, run: WorkflowRun, definition: Definition) -> bool:
    """The run's step at its position: condition, action, trace row and the move on; True while the run goes on."""
    position = run.position
    if position >= len(definition.steps):
        lifecycle.transition(session, run, "complete", actor=actor_of(run))
        return False
    spec = definition.steps[position]
    record = WorkflowRunStep(id=new_id("wfrs"), run_id=run.id, position=position, name=spec.name, action=spec.action, started_at=now())
    record.input = {"with": spec.params, **({"if": spec.condition} if spec.condition else {})}
    try:
        if spec.condition is not None and not evaluate(spec.condition, values_for(session, run)):
            lifecycle.create(session, record, action="skip")
            return _advance(session, run, definition, ended=False)
        with session.begin_nested():  # an action that fails half-way leaves nothing of itself
            outcome = ACTIONS[spec.action](session, run, spec)
    except (StepFailed, ApiError) as exc:
        message = exc.details if isinstance(exc, ApiError) and exc.details else str(exc)
        record.error = message[:500]
        lifecycle.create(session, record, action="error")
        _error(session, run, f"step {spec.name}: {message}")
        return False
    record.outcome = outcome.values
    if outcome.wait_on is not None or outcome.wait_seconds is not None:
        lifecycle.create(session, record, action="wait")
        run.waiting_on = outcome.wait_on
        run.wait_until = now() + timedelta(seconds=outcome.wait_seconds) if outcome.wait_seconds else None
        lifecycle.transition(session, run, "wait", actor=actor_of(run))
        if outcome.wait_seconds:
            jobs.enqueue_in_tx(session, WAKE_JOB, key=_wake_key(run, position), delay_seconds=outcome.wait_seconds, run_id=run.id, position=position)
        return False
    lifecycle.create(session, record, action="finish")
    return _advance(session, run, definition, ended=spec.end)


def _wake_key(run: WorkflowRun, position: int) -> str:
    return f"wfw:{run.id}:{position}"


def _advance(session: Session, run: WorkflowRun, definition: Definition, *, ended: bool) -> bool:
    """The run moves past its step: completed after the last (or an `end`), else True (its job goes on)."""
    run.position += 1
    run.updated_at = now()
    if ended or run.position >= len(definition.steps):
        lifecycle.transition(session, run, "complete", actor=actor_of(run))
        return False
    return True


def _error(session: Session, run: WorkflowRun, message: str) -> None:
    run.error = message[:500]
    run.waiting_on = None
    lifecycle.transition(session, run, "error", actor=actor_of(run))


def give_up(session: Session, run_id: str, position: int) -> None:
    run = repository.run_for_step(session, run_id)
    if run is not None and run.status == WorkflowRunStatus.RUNNING and run.position >= position:
        _error(session, run, f"step {run.position} failed on every attempt")


def resume(session: Session, run: WorkflowRun, values: dict[str, Any], *, failed: str | None = None) -> None:
    """The awaited thing happened (or timed out): the waiting step is done with `values` (or errors with `failed`)
    and the run goes on, in the caller's transaction."""
    record = repository.step_at(session, run.id, run.position)
    if run.wait_until is not None:
        jobs.cancel_in_tx(session, _wake_key(run, run.position))  # its timeout is not needed any more
    run.waiting_on, run.wait_until = None, None
    if record is not None:
        record.outcome = {**record.outcome, **values}
        record.error = failed
        lifecycle.transition(session, record, "error" if failed else "finish")
    if failed:
        _error(session, run, f"step {record.name if record else run.position}: {failed}")
        return
    lifecycle.transition(session, run, "resume", actor=actor_of(run))
    definition = definition_of(session.get(WorkflowVersion, run.version_id))
    spec = definition.steps[run.position] if run.position < len(definition.steps) else None
    if _advance(session, run, definition, ended=bool(spec and spec.end)):
        _queue_step(session, run)  # a job of its own drives the run on from here


def on_event(session: Session, event: Event) -> None:
    """Resume the runs waiting on this event: a report's result (`report:<id>`), or `event:<name>:<object id>`."""
    if event.name in lifecycle.CREATION_EVENTS:
        return  # its object is new in this transaction: no run waits on it (a query saved on every creation)
    keys = [f"event:{event.name}:{event.object_id}"]
    if event.name.startswith("report/") and event.name.endswith((".ready", ".errored")):
        keys.append(f"report:{event.object_id}")
    for run in repository.waiting_on(session, keys):  # one query for every key: this runs for each event recorded
        if (run.waiting_on or "").startswith("report:"):
            report = session.get(Report, event.object_id)
            if report is None or report.status == "errored":
                resume(session, run, {"report": None}, failed="the report errored")
            else:
                resume(session, run, {"report": activation.report_values(report)})
        else:
            resume(session, run, {"event": {"id": event.id, "name": event.name}})


def wake(session: Session, run_id: str, position: int) -> None:
    """A delay passed, or a wait timed out: a run still waiting at `position` goes on (a wait for a report errors)."""
    run = repository.run_for_step(session, run_id)
    if run is None or run.status != WorkflowRunStatus.WAITING or run.position != position:
        return
    if run.waiting_on is None:
        resume(session, run, {})
    elif run.waiting_on.startswith("report:"):
        resume(session, run, {}, failed="the report had no result in time")
    else:
        resume(session, run, {"timed-out": True})


# ----------------------------------------------------------------------------------------------- actions


def _inquiry(session: Session, run: WorkflowRun) -> Inquiry:
    inquiry = inquiries_repository.get_for_update(session, run.environment_id, run.object_id) if run.object_type == "inquiry" and run.object_id else None
    if inquiry is None:
        raise StepFailed("this run has no inquiry to act on")
    return inquiry


def _decide(action: str) -> Any:
    def act(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
        inquiry = _inquiry(session, run)
        meta = {"comment": spec.params["comment"]} if "comment" in spec.params else {}
        inquiries.decide(session, inquiry, action, meta, reviewer=("workflow-run", run.id), actor=actor_of(run))
        return Outcome({"inquiry": {"id": inquiry.id, "status": inquiry.status}})

    return act


def _tags(add: bool) -> Any:
    def act(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
        inquiry = _inquiry(session, run)
        names = tag_names.clean(spec.params["tags"], "with.tags")
        (inquiries.add_tags if add else inquiries.remove_tags)(session, inquiry, names, actor_of(run))
        return Outcome({"tags": list(inquiry.tags)})

    return act


def _update_fields(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
    inquiry = _inquiry(session, run)
    inquiries.update(session, inquiry, {"fields": spec.params["fields"]}, actor_of(run))
    return Outcome({"fields": sorted(spec.params["fields"])})


def _update_account(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
    inquiry = _inquiry(session, run)
    if inquiry.account_id is None:
        raise StepFailed("the inquiry has no account")
    account = accounts.usable(session, run.environment_id, inquiry.account_id)
    tags = list(account.tags)
    tags += [t for t in tag_names.clean(spec.params.get("add-tags") or [], "with.add-tags") if t not in tags]
    tags = [t for t in tags if t not in (spec.params.get("remove-tags") or [])]
    changed_tags = "add-tags" in spec.params or "remove-tags" in spec.params
    accounts.update(session, account, reference_id=None, fields=spec.params.get("fields"), tags=tags if changed_tags else None,
                    account_status=None, actor=actor_of(run))
    return Outcome({"account": {"id": account.id}})


def _run_report(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
    inquiry = _inquiry(session, run)
    name = spec.params["report-template"]
    template = reports_repository.template(session, run.environment_id, name) or reports_repository.template_by_name(session, run.environment_id, name)
    if template is None:
        raise StepFailed(f"no report template {name}")
    report = reports.screen_inquiry(session, inquiry, template.kind, template.id, actor=actor_of(run))
    if report is None:  # nobody to screen (no name on the inquiry): the run goes on with `report` null
        return Outcome({"report": None, "reason": "the inquiry names nobody to screen"})
    if report.status != "pending":  # screened already (sync)
        return Outcome({"report": activation.report_values(report)})
    return Outcome({"report": {"id": report.id}}, wait_on=f"report:{report.id}", wait_seconds=spec.params.get("timeout-seconds", 3600))


def _create_case(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
    objects: list[tuple[str, str]] = []
    if run.object_type == "inquiry" and run.object_id:
        inquiry = _inquiry(session, run)
        objects.append(("inquiry", inquiry.id))
        if inquiry.account_id:
            objects.append(("account", inquiry.account_id))
        objects += [(f"report/{r.kind}", r.id) for r in reports_repository.of_inquiry(session, inquiry.id)]
    case = cases.create_case(session, run.environment_id, objects=objects, actor=actor_of(run), case_template_id=spec.params.get("case-template"),
                             name=spec.params.get("name"), comment=spec.params.get("comment"))
    return Outcome({"case": {"id": case.id}})


def _wait_for_event(session: Session, run: WorkflowRun, spec: Step) -> Outcome:  # noqa: ARG001 - the action signature
    if not run.object_id:
        raise StepFailed("this run has no object whose events it could wait for")
    return Outcome({}, wait_on=f"event:{spec.params['event']}:{run.object_id}", wait_seconds=spec.params.get("timeout-seconds"))


def _wait(session: Session, run: WorkflowRun, spec: Step) -> Outcome:  # noqa: ARG001 - the action signature
    return Outcome({}, wait_seconds=spec.params["seconds"])


def _send_email(session: Session, run: WorkflowRun, spec: Step) -> Outcome:
    to = spec.params.get("to")
    if to is None and "to-field" in spec.params:
        value = activation.inquiry_values(_inquiry(session, run))["fields"].get(spec.params["to-field"])
        to = value if isinstance(value, str) and "@" in value else None
    if not to:
        raise StepFailed("no address to send to")
    try:
        sender("email").send(Message("email", to, spec.params["subject"], spec.params["body"], sandbox=_sandbox(session, run.environment_id)))
    except SendError as exc:
        if exc.retry:
            raise  # the job runs the step again
        raise StepFailed(f"the e-mail was not sent: {exc}") from exc
    return Outcome({"sent": True})


def _sandbox(session: Session, environment_id: str) -> bool:
    environment = session.get(Environment, environment_id)
    return bool(environment is not None and environment.is_sandbox)


def _call_http(session: Session, run: WorkflowRun, spec: Step) -> Outcome:  # noqa: ARG001 - the action signature
    body = json.dumps({"data": {"type": "workflow-run", "id": run.id, "attributes": {"step": spec.name, "object-type": run.object_type,
                                                                                        "object-id": run.object_id}}}).encode()
    headers = {**spec.params.get("headers", {}), "Content-Type": "application/json", "Idempotency-Key": f"{run.id}:{run.position}"}
    method = spec.params.get("method", "POST")
    try:
        response = delivery.request_vetted(method, spec.params["url"], body=None if method == "GET" else body, headers=headers)
    except ApiError:
        raise
    except Exception as exc:
        raise RuntimeError(f"call-http to {spec.params['url']} failed: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise RuntimeError(f"call-http answered {response.status_code}")  # retried by the job
    if response.status_code >= 400:
        raise StepFailed(f"the endpoint answered {response.status_code}")
    return Outcome({"status": response.status_code})


ACTIONS = {
    "approve": _decide("approve"),
    "decline": _decide("decline"),
    "mark-for-review": _decide("mark_for_review"),
    "add-tags": _tags(add=True),
    "remove-tags": _tags(add=False),
    "update-fields": _update_fields,
    "update-account": _update_account,
    "run-report": _run_report,
    "create-case": _create_case,
    "wait-for-event": _wait_for_event,
    "wait": _wait,
    "send-email": _send_email,
    "call-http": _call_http,
}
