"""The one owner of an inquiry's progress: start, advance through the template's steps, complete or
fail, expire (swept every minute), resume, and every timer rule. The API, the hosted flow and the jobs
all call here; verifications never import it: the composition root makes this module watch their
moves through the lifecycle (`on_verification_moved`).

Each step of the version runs in order. A step is done when one of its verifications passed; an
optional step is also done when its attempts ran out. When every step is done the inquiry completes;
when a required step's attempts are exhausted it fails. Otherwise `next-step-name` points at the step
to run (or retry).
"""

import os
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.inquiries import repository
from openidv.inquiry_sessions import service as sessions
from openidv.inquiry_templates.service import inquiry_config
from openidv.jobs import every, session
from openidv.kit.clock import now
from openidv.kit.errors import conflict, not_found
from openidv.lifecycle import OPEN_INQUIRY_STATUSES, InquiryStatus, VerificationStatus
from openidv.lifecycle.transition import transition
from openidv.models import Inquiry, Verification
from openidv.verifications import repository as verification_repository, service as verifications

EXPIRY_SWEEP_SECONDS = float(os.environ.get("OPENIDV_EXPIRY_SWEEP_SECONDS", "60"))
EXPIRY_BATCH = 200
DEFAULT_RESUME_SECONDS = 86400


# ---------------------------------------------------------------- timers


def deadline_after_create(created_at: datetime, seconds: int) -> datetime:
    """A new inquiry expires `seconds` after its creation (24 h unless the template or the request says)."""
    return created_at + timedelta(seconds=seconds)


def start(db: Session, inquiry: Inquiry, actor: str | None) -> None:
    """created → pending; the expiry clock restarts from the start interval when one is set; then the
    inquiry enters its first step."""
    transition(db, inquiry, "start", actor=actor)
    if inquiry.expire_after_start_seconds:
        inquiry.expires_at = now() + timedelta(seconds=inquiry.expire_after_start_seconds)
    advance(db, inquiry, actor)


def expire(db: Session, inquiry: Inquiry, actor: str) -> None:
    """→ expired; ends sessions and one-time links, cancels pending verifications."""
    transition(db, inquiry, "expire", actor=actor)
    sessions.expire_all_of_inquiry(db, inquiry, actor=actor)
    for verification in verification_repository.of_inquiry(db, inquiry.id):
        if lifecycle.transition_allowed(verification, "cancel"):
            transition(db, verification, "cancel", actor=actor)


def resume(db: Session, inquiry: Inquiry, secrets_: sessions.Secrets, actor: str) -> str:
    """Only `pending` or `expired`; reuses an unused valid session or makes one. Returns its token."""
    if inquiry.status not in (InquiryStatus.PENDING, InquiryStatus.EXPIRED):
        raise conflict(f"Cannot resume an inquiry that is {inquiry.status}")
    if inquiry.status == InquiryStatus.EXPIRED:
        transition(db, inquiry, "resume", actor=actor)
        inquiry.expired_at = None
        inquiry.expires_at = now() + timedelta(seconds=inquiry.expire_after_resume_seconds or DEFAULT_RESUME_SECONDS)
        db.flush()
    row = sessions.usable_session(db, inquiry) or sessions.create_session(db, inquiry, actor=actor)
    return sessions.token_for(secrets_, row)


@every(EXPIRY_SWEEP_SECONDS, "inquiries.expire-due")
def expire_due() -> int:
    """Every due created/pending inquiry → expired (one transaction per batch): inquiries expire whether
    or not anyone reads them."""
    count = 0
    while True:
        with session() as db:
            due = repository.due_for_expiry(db, now(), limit=EXPIRY_BATCH)
            for inquiry in due:
                if lifecycle.transition_allowed(inquiry, "expire"):
                    expire(db, inquiry, actor="system")
                    count += 1
        if len(due) < EXPIRY_BATCH:
            return count


# ---------------------------------------------------------------- verifications move the inquiry on

# Verification moves after which the inquiry looks again at its steps.
_MOVES_THAT_ADVANCE = frozenset({"create", "submit", "pass", "fail", "require_retry", "cancel"})


def on_verification_moved(db: Session, verification: Verification, action: str, actor: str | None) -> None:
    """Installed as a lifecycle observer of verifications: a new verification starts a `created` inquiry;
    every move of one may move its inquiry on, complete it or fail it."""
    if action not in _MOVES_THAT_ADVANCE or not verification.inquiry_id:
        return
    inquiry = repository.get_for_update(db, verification.environment_id, verification.inquiry_id)
    if inquiry is None or inquiry.status not in OPEN_INQUIRY_STATUSES:
        return
    if inquiry.status == InquiryStatus.CREATED:
        start(db, inquiry, actor)
    else:
        advance(db, inquiry, actor)


def simulate_verification(db: Session, inquiry: Inquiry, step_id: str, passed: bool, actor: str) -> Verification:
    """The sandbox's honest simulation of a step (the API's `simulate-actions` and the hosted flow): a
    verification made, submitted and concluded with one `<kind>_sandbox_simulation` check."""
    step = inquiry_config(db, inquiry).step(step_id)
    if step is None:
        raise not_found("verification template", step_id)
    if inquiry.status not in OPEN_INQUIRY_STATUSES:
        raise conflict(f"Cannot create a verification on an inquiry that is {inquiry.status}")
    verification = verifications.create(db, inquiry, step.kind, step.id, actor=actor)
    verifications.simulate(db, verification, passed, actor)
    return verification


# ---------------------------------------------------------------- the steps


IN_FLIGHT = (VerificationStatus.INITIATED, VerificationStatus.SUBMITTED, VerificationStatus.CONFIRMED)
FAILED = (VerificationStatus.FAILED, VerificationStatus.REQUIRES_RETRY)


def _set_step(db: Session, inquiry: Inquiry, next_step: str, actor: str | None) -> None:
    if inquiry.next_step_name == next_step:
        return
    inquiry.previous_step_name = inquiry.next_step_name or "start"
    inquiry.next_step_name = next_step
    transition(db, inquiry, "transition_step", actor=actor)


def advance(db: Session, inquiry: Inquiry, actor: str | None = None) -> str:
    """Move a pending inquiry on; returns the next step name (`success` / `fail` at the ends)."""
    if inquiry.status != InquiryStatus.PENDING:
        return inquiry.next_step_name or ""
    config = inquiry_config(db, inquiry)
    made = verification_repository.of_inquiry(db, inquiry.id)
    for step in config.steps:
        mine = [v for v in made if v.step_id == step.id or (v.step_id is None and v.kind == step.kind)]
        if any(v.status == VerificationStatus.PASSED for v in mine):
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
