"""SQL for workflows, their versions, runs and run steps."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openidv.kit.db import once_per_transaction
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import Workflow, WorkflowRun, WorkflowRunStep, WorkflowVersion


def workflow(session: Session, environment_id: str, workflow_id: str, *, for_update: bool = False) -> Workflow | None:
    query = select(Workflow).where(Workflow.id == workflow_id, Workflow.environment_id == environment_id)
    return session.scalars(query.with_for_update() if for_update else query).first()


def workflow_by_name(session: Session, environment_id: str, name: str) -> Workflow | None:
    return session.scalars(select(Workflow).where(Workflow.environment_id == environment_id, Workflow.name == name)).first()


def workflows_page(session: Session, environment_id: str, page: Page) -> PageResult[Workflow]:
    return paged(session, select(Workflow).where(Workflow.environment_id == environment_id), Workflow, page)


def started_by(session: Session, environment_id: str, event_name: str) -> list[Workflow]:
    """Enabled workflows whose live version starts on `event_name`. Every event recorded asks, so the environment's
    event-triggered workflows are read once per transaction (again when it changed a workflow)."""
    triggered = once_per_transaction(session, "event_workflows", environment_id, Workflow, lambda: list(session.scalars(
        select(Workflow).where(Workflow.environment_id == environment_id, Workflow.status == "enabled", Workflow.trigger_type == "event"))))
    return [workflow for workflow in triggered if workflow.trigger_event == event_name]


def scheduled_due(session: Session, when: datetime) -> list[Workflow]:
    return list(session.scalars(select(Workflow).where(Workflow.trigger_type == "schedule", Workflow.status == "enabled",
                                                       Workflow.next_run_at <= when).with_for_update(skip_locked=True)))


def version(session: Session, environment_id: str, version_id: str) -> WorkflowVersion | None:
    return session.scalars(select(WorkflowVersion).where(WorkflowVersion.id == version_id, WorkflowVersion.environment_id == environment_id)).first()


def draft_of(session: Session, workflow_id: str) -> WorkflowVersion | None:
    return session.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.status == "draft")).first()


def versions_page(session: Session, environment_id: str, workflow_id: str, page: Page) -> PageResult[WorkflowVersion]:
    query = select(WorkflowVersion).where(WorkflowVersion.environment_id == environment_id, WorkflowVersion.workflow_id == workflow_id,
                                          WorkflowVersion.status != "archived")
    return paged(session, query, WorkflowVersion, page)


def next_number(session: Session, workflow_id: str) -> int:
    return int(session.scalar(select(func.coalesce(func.max(WorkflowVersion.number), 0)).where(WorkflowVersion.workflow_id == workflow_id)) or 0) + 1


def run(session: Session, environment_id: str, run_id: str) -> WorkflowRun | None:
    return session.scalars(select(WorkflowRun).where(WorkflowRun.id == run_id, WorkflowRun.environment_id == environment_id)).first()


def run_for_step(session: Session, run_id: str) -> WorkflowRun | None:
    """The run, locked for its step job (PostgreSQL: a second job of the same run waits, then finds the step done)."""
    return session.scalars(select(WorkflowRun).where(WorkflowRun.id == run_id).with_for_update()).first()


def runs_page(session: Session, environment_id: str, page: Page, *, workflow_id: str | None = None, status: str | None = None) -> PageResult[WorkflowRun]:
    query = select(WorkflowRun).where(WorkflowRun.environment_id == environment_id)
    if workflow_id is not None:
        query = query.where(WorkflowRun.workflow_id == workflow_id)
    if status is not None:
        query = query.where(WorkflowRun.status == status)
    return paged(session, query, WorkflowRun, page)


def waiting_on(session: Session, keys: list[str]) -> list[WorkflowRun]:
    """The runs waiting on any of `keys`, locked, oldest first."""
    query = select(WorkflowRun).where(WorkflowRun.waiting_on.in_(keys), WorkflowRun.status == "waiting")
    return list(session.scalars(query.order_by(WorkflowRun.created_at, WorkflowRun.id).with_for_update()))


def steps_of(session: Session, run_id: str) -> list[WorkflowRunStep]:
    return list(session.scalars(select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id).order_by(WorkflowRunStep.position)))


def step_at(session: Session, run_id: str, position: int) -> WorkflowRunStep | None:
    return session.scalars(select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id, WorkflowRunStep.position == position)).first()
