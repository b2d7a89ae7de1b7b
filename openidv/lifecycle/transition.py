"""`transition()`: the one function that changes a status.

It checks the machine's table (an illegal move raises `IllegalTransition`, answered 409), sets the
status and its `*_at` timestamp, and records the move's events in the caller's transaction. Recording
an event also runs the installed follow-ups (webhook fan-out, ...) in that same transaction, so a
status change, its events and the work they start commit together or not at all.

Observers see every move of one resource once its events are recorded, in the same transaction: that is
how an inquiry's owner learns that one of its verifications moved, without verifications importing
inquiries. The composition root (`openidv.wiring`) installs them.
"""

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from openidv.events import service as events
from openidv.kit.clock import now
from openidv.kit.db import fill_defaults
from openidv.kit.errors import ApiError
from openidv.lifecycle.machines import MACHINES, Move
from openidv.models import (
    Account,
    Case,
    Document,
    Event,
    Inquiry,
    InquirySession,
    InquiryTemplate,
    InquiryTemplateVersion,
    Report,
    Verification,
    Webhook,
    WebhookDelivery,
    Workflow,
    WorkflowRun,
    WorkflowRunStep,
    WorkflowVersion,
)

_RESOURCE_OF: dict[type[object], str] = {
    Account: "account",
    Case: "case",
    Inquiry: "inquiry",
    Verification: "verification",
    Document: "document",
    InquirySession: "inquiry-session",
    InquiryTemplate: "inquiry-template",
    InquiryTemplateVersion: "inquiry-template-version",
    Webhook: "webhook",
    WebhookDelivery: "webhook-delivery",
    Workflow: "workflow",
    WorkflowVersion: "workflow-version",
    WorkflowRun: "workflow-run",
    WorkflowRunStep: "workflow-run-step",
}


# observer(session, obj, action, actor), run after each move of its resource
Observer = Callable[[Session, Any, str, str | None], None]
_observers: dict[str, list[Observer]] = {}


def install_observers(observers: Iterable[tuple[str, Observer]]) -> None:
    """(resource, observer) pairs; replaces what was installed."""
    _observers.clear()
    for resource, observer in observers:
        _observers.setdefault(resource, []).append(observer)


class IllegalTransition(ApiError):
    def __init__(self, resource: str, status: str | None, action: str) -> None:
        pretty, noun = action.replace("_", " "), resource.replace("-", " ")
        article = "an" if noun[0] in "aeiou" else "a"
        super().__init__(409, f"Cannot {pretty} {article} {noun} that is {status}")
        self.resource, self.status_from, self.action = resource, status, action


def resource_of(obj: object) -> str:
    if isinstance(obj, Report):  # one machine per report kind: event names carry the kind
        return f"report/{obj.kind}"
    return _RESOURCE_OF[type(obj)]


def allowed(obj: object, action: str) -> bool:
    return (obj.status, action) in MACHINES[resource_of(obj)]  # type: ignore[attr-defined]


def _apply(session: Session, obj: Any, action: str, move: Move, actor: str | None, context: dict[str, Any] | None) -> list[Event]:
    stamp_time = now()
    if move.to is not None:
        obj.status = move.to
    if move.stamp:
        setattr(obj, move.stamp, stamp_time)
    if hasattr(obj, "updated_at"):
        obj.updated_at = stamp_time
    recorded = [events.record(session, obj, name, actor=actor, context=context) for name in move.events]
    for observer in _observers.get(resource_of(obj), ()):
        observer(session, obj, action, actor)
    return recorded


def create(session: Session, obj: Any, actor: str | None = None, context: dict[str, Any] | None = None, *, action: str = "create") -> list[Event]:
    """Insert a new row (inquiry, account, verification, session...) in its initial status and record its events.
    A machine may have several ways in (a workflow step's trace row is written done, skipped, errored or waiting)."""
    move = MACHINES[resource_of(obj)][(None, action)]
    fill_defaults(obj)  # the events render it before it is written: the row and its events go in one flush later
    session.add(obj)
    return _apply(session, obj, action, move, actor, context)


def transition(
    session: Session, obj: Any, action: str, actor: str | None = None, context: dict[str, Any] | None = None
) -> list[Event]:
    resource = resource_of(obj)
    move = MACHINES[resource].get((obj.status, action))
    if move is None:
        raise IllegalTransition(resource, obj.status, action)
    return _apply(session, obj, action, move, actor, context)
