"""Rules every verification kind shares: creation on an inquiry, the template step a new verification
answers, finishing it (submit, checks, outcome), its processing job, and redaction."""

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.api import idempotency
from openidv.checks import result
from openidv.checks.result import CheckResult, passes
from openidv.events import repository as events
from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.inquiry_templates.repository import get_version
from openidv.inquiry_templates.service import config_of, inquiry_config
from openidv.jobs import job, session as job_session
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import get_str
from openidv.lifecycle import OPEN_INQUIRY_STATUSES, VerificationStatus
from openidv.models import ConfirmationCode, Inquiry, Verification
from openidv.verifications import kinds, repository

ATTR = "data.attributes"


def create(
    db: Session, inquiry: Inquiry | None, kind: str, step_id: str | None, *, actor: str | None = None, data: dict[str, Any] | None = None,
    environment_id: str | None = None,
) -> Verification:
    """A new verification, on an inquiry or, by API, on none (the inquiry's owner starts a `created`
    inquiry when it sees the verification made, `openidv.inquiries.progress`)."""
    verification = Verification(
        id=new_id("ver"), environment_id=inquiry.environment_id if inquiry else environment_id, inquiry_id=inquiry.id if inquiry else None,
        kind=kind, step_id=step_id, created_at=now(),
    )
    verification.data = data or {}
    lifecycle.create(db, verification, actor=actor)
    return verification


def conclude(db: Session, verification: Verification, checks: Sequence[Mapping[str, Any]], actor: str | None = None) -> None:
    """Record the checks (engine results or `check` objects) and move a submitted verification to passed or failed."""
    stored = [dict(c) for c in checks]
    verification.checks = stored
    lifecycle.transition(db, verification, "pass" if passes(stored) else "fail", actor=actor)


@dataclass
class Target:
    inquiry: Inquiry | None
    version_id: str
    config: TemplateConfig
    step: Step


def resolve(db: Session, environment_id: str, attrs: dict[str, Any], kind: str) -> Target:
    """The inquiry (optional) and template step from `inquiry-id` and `verification-template-id`."""
    inquiry_id = get_str(attrs, "inquiry-id", ATTR)
    step_id = get_str(attrs, "verification-template-id", ATTR)
    if inquiry_id:
        inquiry = repository.inquiry_for_update(db, environment_id, inquiry_id)
        if inquiry is None:
            raise not_found("inquiry", inquiry_id)
        if inquiry.redacted_at is not None:
            raise conflict("Inquiry already redacted")
        if inquiry.status not in OPEN_INQUIRY_STATUSES:
            raise conflict(f"Cannot create a verification on an inquiry that is {inquiry.status}")
        config = inquiry_config(db, inquiry)
        step = config.step(step_id) if step_id else config.step_of_kind(kind)
        if step is None or step.kind != kind:
            raise not_found("verification template", step_id) if step_id else bad_request(f"the inquiry's template has no {kind} step")
        return Target(inquiry, inquiry.template_version_id, config, step)
    if not step_id:
        raise bad_request(f"{ATTR}.verification-template-id is missing")
    for version in repository.published_versions(db, environment_id):
        config = config_of(version)
        step = config.step(step_id)
        if step is not None:
            if step.kind != kind:
                raise bad_request(f"{ATTR}.verification-template-id is a {step.kind} template, not {kind}")
            return Target(None, version.id, config, step)
    raise not_found("verification template", step_id)


def start(db: Session, environment_id: str, target: Target, kind: str, data: dict[str, Any], country_code: str | None, actor: str) -> Verification:
    """A new verification for the target step (its inquiry, if any, is started and moved on by its
    owner, `openidv.inquiries.progress`, which watches verification moves)."""
    verification = create(
        db, target.inquiry, kind, target.step.id, actor=actor, data={**data, "template-version-id": target.version_id}, environment_id=environment_id
    )
    verification.country_code = country_code
    return verification


def load(db: Session, environment_id: str, verification_id: str, kind: str) -> Verification:
    verification = repository.get_for_update(db, environment_id, verification_id)
    if verification is None or verification.kind != kind:
        raise not_found(f"verification/{kind}", verification_id)
    if verification.redacted_at is not None:
        raise conflict("Verification already redacted")
    return verification


def config_for(db: Session, verification: Verification) -> tuple[TemplateConfig, Step]:
    version = get_version(db, verification.environment_id, verification.data.get("template-version-id", ""))
    if version is None:
        raise ApiError(409, "The verification's template version is gone")
    config = config_of(version)
    step = config.step(verification.step_id or "") or config.step_of_kind(verification.kind)
    if step is None:
        raise ApiError(409, "The verification's template step is gone")
    return config, step


def requirement(step: Step, defaults: frozenset[str]) -> frozenset[str]:
    """The checks that decide the outcome: the step's `required_checks`, else the kind's defaults."""
    return frozenset(step.required_checks) if step.required_checks is not None else defaults


def check(name: str, status: str | bool, required: frozenset[str], reasons: list[str] | None = None,
          metadata: dict[str, Any] | None = None) -> CheckResult:
    """A check object; `status` True/False for passed/failed, or `not_applicable`."""
    made = result.check(name, status is True, reasons=reasons, required=name in required, metadata=metadata)
    if status == "not_applicable":
        made["status"] = "not_applicable"
    return made


def finish(db: Session, verification: Verification, checks: Sequence[Mapping[str, Any]], actor: str | None) -> None:
    """initiated/confirmed → submitted → passed or failed (a job finishes one already submitted); the
    inquiry's owner sees the move through the lifecycle and moves the inquiry on or fails it."""
    if verification.status != VerificationStatus.SUBMITTED:
        lifecycle.transition(db, verification, "submit", actor=actor)
    conclude(db, verification, checks, actor=actor)


def simulate(db: Session, verification: Verification, passed: bool, actor: str | None) -> None:
    """The sandbox's honest simulation: submit and conclude with one `<kind>_sandbox_simulation` check
    (what was given stays on the verification, as the real checks would find it)."""
    reasons = [] if passed else ["simulated_failure"]
    finish(db, verification, [result.check(f"{verification.kind.replace('-', '_')}_sandbox_simulation", passed, reasons=reasons)], actor)


def give_up(db: Session, verification_id: str, check_name: str) -> None:
    """A processing job ran out of attempts: the submitted verification fails `check_name` (reason
    `processing_error`) and its inquiry moves on, instead of waiting in `submitted` for ever."""
    verification = db.get(Verification, verification_id, with_for_update=True)
    if verification is not None and verification.status == VerificationStatus.SUBMITTED:
        finish(db, verification, [result.check(check_name, False, reasons=["processing_error"])], "system")


def unprocessable(check_name: str) -> Callable[..., None]:
    """The `on_give_up` of a verification's processing job (`openidv.jobs.job`)."""
    return functools.partial(give_up, check_name=check_name)


def processing_job(name: str, process: Callable[[Session, Verification], None], *, unprocessable_check: str | None = None,
                   on_give_up: Callable[..., None] | None = None) -> Callable[..., None]:
    """The job that processes one submitted verification (run at least once: `process` must be
    idempotent); after its last failed attempt the verification fails `unprocessable_check`."""

    def run(verification_id: str) -> None:
        with job_session() as db:
            verification = db.get(Verification, verification_id, with_for_update=True)
            if verification is None:
                return
            override = kinds.checks_override(verification.kind)
            if override is None:
                process(db, verification)
            elif verification.status == VerificationStatus.SUBMITTED:
                finish(db, verification, override(db, verification), None)

    settle = on_give_up or (unprocessable(unprocessable_check) if unprocessable_check else None)
    return job(name, max_attempts=3, on_give_up=settle)(run)


PII_ATTRIBUTES = frozenset({
    "phone-number", "email-address", "name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2",
    "address-city", "address-subdivision", "address-postal-code", "identification-number", "normalized-address-street-1",
    "normalized-address-street-2", "normalized-address-city", "normalized-address-subdivision", "normalized-address-postal-code",
})


def forget(db: Session, verification: Verification) -> None:
    """What else the verification's kind drops when it is redacted (photos, embeddings...); every
    redaction path (verification, inquiry, account) calls this."""
    kind = kinds.get(verification.kind)
    if kind is not None and kind.forget is not None:
        kind.forget(db, verification)


def redact(db: Session, verification: Verification, actor: str) -> None:
    """Remove the verification's PII (claims, number, address, pending code) and its earlier event snapshots' copies."""
    if verification.redacted_at is not None:
        raise conflict("Verification already redacted")
    verification.data = {"template-version-id": verification.data.get("template-version-id")}
    code = db.get(ConfirmationCode, verification.id)
    if code is not None:
        code.code_hash = None
    forget(db, verification)
    idempotency.forget(db, [verification.id])  # the stored answer of the POST that created it holds its data too
    lifecycle.transition(db, verification, "redact", actor=actor)
    for event in events.of_object(db, verification.id):
        payload = event.payload
        attributes = (payload.get("data") or {}).get("attributes") or {}
        if PII_ATTRIBUTES & set(attributes):
            for key in PII_ATTRIBUTES & set(attributes):
                attributes[key] = None
            event.payload = payload


def settings(step: Step) -> dict[str, Any]:
    """The step's settings with snake_case keys (API bodies may arrive in any key casing)."""
    return {str(k).replace("-", "_"): v for k, v in step.settings.items()}
