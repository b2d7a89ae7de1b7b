"""The inquiry runner: from the template version and the inquiry's verifications, what comes next.

Each step of the version runs in order. A step is done when one of its verifications passed; an
optional step is also done when its attempts ran out. When every step is done the inquiry completes;
when a required step's attempts are exhausted it fails. Otherwise the runner points `next-step-name`
at the step to run (or retry).
"""

from sqlalchemy.orm import Session

from openidv.inquiries import repository as inquiries
from openidv.inquiry_templates.repository import get_version
from openidv.inquiry_templates.service import config_of
from openidv.lifecycle.transition import transition
from openidv.models import Inquiry

IN_FLIGHT = ("initiated", "submitted", "confirmed")
FAILED = ("failed", "requires_retry")


def _set_step(db: Session, inquiry: Inquiry, next_step: str, actor: str | None) -> None:
    if inquiry.next_step_name == next_step:
        return
    inquiry.previous_step_name = inquiry.next_step_name or "start"
    inquiry.next_step_name = next_step
    transition(db, inquiry, "transition_step", actor=actor)


def advance(db: Session, inquiry: Inquiry, actor: str | None = None) -> str:
    """Move a pending inquiry on; returns the next step name (`success` / `fail` at the ends)."""
    if inquiry.status != "pending":
        return inquiry.next_step_name or ""
    version = get_version(db, inquiry.environment_id, inquiry.template_version_id)
    config = config_of(version)
    verifications = inquiries.verifications(db, inquiry.id)
    for step in config.steps:
        mine = [v for v in verifications if v.step_id == step.id or (v.step_id is None and v.kind == step.kind)]
        if any(v.status == "passed" for v in mine):
            continue
        if any(v.status in IN_FLIGHT for v in mine):
            _set_step(db, inquiry, step.step_name, actor)
            return step.step_name
        failures = sum(v.status in FAILED for v in mine)
        if failures >= config.attempts_for(step):
            if not step.required:
                continue
            inquiry.previous_step_name, inquiry.next_step_name = step.step_name, "fail"
            transition(db, inquiry, "fail", actor=actor)
            return "fail"
        next_step = ("retry_" if failures else "") + step.step_name
        _set_step(db, inquiry, next_step, actor)
        return next_step
    inquiry.previous_step_name, inquiry.next_step_name = inquiry.next_step_name or "start", "success"
    transition(db, inquiry, "complete", actor=actor)
    return "success"
