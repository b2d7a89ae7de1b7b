"""Flow rules: opening an inquiry from the browser, what screen comes next, consent, fields, steps.

Nothing here speaks HTTP or commits; the endpoints do. Problems the person must see raise
`FlowError` (a catalogue key, an HTTP status and the SDK's error code) or `uploads.InputProblem`.
"""

from dataclasses import dataclass, field
from typing import Any

import segno
from sqlalchemy.orm import Session, object_session

from openidv import lifecycle
from openidv.auth import repository as auth_repository
from openidv.flow import codes, engines, redirects, repository
from openidv.flow.i18n import BIOMETRIC_CONSENT_VERSION, CONSENT_VERSION
from openidv.inquiries import progress, repository as inquiry_repository, service as inquiries
from openidv.inquiry_sessions import service as sessions, tokens
from openidv.inquiry_templates import service as templates
from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.kit import fields as typed_fields
from openidv.kit.clock import now
from openidv.kit.errors import ApiError
from openidv.kit.ids import new_id
from openidv.lifecycle import OPEN_INQUIRY_STATUSES, InquiryStatus, SessionStatus, VerificationStatus
from openidv.models import FlowConsent, Inquiry, InquirySession, Verification
from openidv.verifications import kinds, repository as verification_repository, service as verifications, uploads
from openidv.verifications.kinds import Captured

ACTOR = "flow"


class FlowError(Exception):
    """A page-level problem: catalogue `key`, HTTP `status`, the SDK `code` (COMPAT.md §10)."""

    def __init__(self, key: str, status: int = 400, code: str = "invalid_config", **values: object) -> None:
        super().__init__(key)
        self.key, self.status, self.code, self.values = key, status, code, values


@dataclass
class Opened:
    inquiry: Inquiry
    token: str


@dataclass
class Screen:
    name: str  # consent | biometric | fields | step | processing (its verification waits for its job) | done
    step: Step | None = None
    retry_reasons: list[str] = field(default_factory=list)
    attempts_left: int = 0
    number: int = 1
    total: int = 1


def _secrets(settings_secrets: dict[str, str], base_url: str) -> sessions.Secrets:
    return sessions.Secrets(settings_secrets["session_token_secret"], base_url)


# ---------------------------------------------------------------- opening


def _environment(db: Session, params: dict[str, Any], template_ref: str) -> str:
    """`environment-id`, else the deprecated `environment` name, else where the template lives."""
    env_id = params.get("environment-id")
    if not env_id and params.get("environment"):
        env = auth_repository.environment_by_name(db, str(params["environment"]))
        env_id = env.id if env else None
        if env is None:
            raise FlowError("error.bad_request", details="unknown environment")
    if env_id:
        if auth_repository.environment(db, env_id) is None:
            raise FlowError("error.bad_request", details="unknown environment-id")
        return env_id
    found = repository.environment_of_template(db, template_ref)
    if found is None:
        raise FlowError("error.bad_request", status=404, details=f"Could not find inquiry template with id {template_ref}")
    return found


def open_new(db: Session, params: dict[str, Any], written_fields: dict[str, str], secrets: sessions.Secrets) -> Opened:
    """A new inquiry from the query of `/verify` or `/widget` (COMPAT.md §9, §10)."""
    keys = [k for k in inquiries.TEMPLATE_KEYS if params.get(k)]
    if len(keys) != 1:
        raise FlowError("error.bad_request", details="give exactly one of inquiry-template-id, inquiry-template-version-id, template-id")
    if params.get("account-id") and params.get("reference-id"):
        raise FlowError("error.bad_request", details="give reference-id or account-id, not both")
    template_ref = str(params[keys[0]])
    environment_id = _environment(db, params, template_ref)
    attrs: dict[str, Any] = {keys[0]: template_ref}
    for key in ("reference-id", "account-id", "redirect-uri"):
        if params.get(key):
            attrs[key] = str(params[key])
    if written_fields:
        attrs["fields"] = written_fields
    try:
        template, _version = templates.resolve_for_inquiry(db, environment_id, template_ref, keys[0])
        redirects.check_redirect(db, attrs.get("redirect-uri"), template)
        created = inquiries.create(db, environment_id, attrs, {"auto-create-inquiry-session": True}, actor=ACTOR, session_secrets=secrets)
    except ApiError as exc:
        code = "inactive_template" if exc.status == 422 and "inactive" in (exc.details or "") else "invalid_config"
        raise FlowError("error.bad_request", status=exc.status, code=code, details=exc.details or exc.title) from None
    assert created.meta["session-token"]
    return Opened(created.inquiry, created.meta["session-token"])


def open_existing(db: Session, inquiry_id: str, token: str | None, secrets: sessions.Secrets) -> Opened:
    """`inquiry-id`: a `created` inquiry opens by id alone; a `pending` one needs its session token."""
    inquiry = repository.inquiry(db, inquiry_id)
    if inquiry is None or inquiry.redacted_at is not None:
        raise FlowError("error.unauthenticated", status=404, code="unauthenticated")
    if token:
        row = _session_of_token(db, token, secrets.token_secret)
        if row is None or row.inquiry_id != inquiry.id:
            raise FlowError("error.unauthenticated", status=409, code="unauthenticated")
        return Opened(inquiry, token)
    if inquiry.status != InquiryStatus.CREATED:
        raise FlowError("error.unauthenticated", status=409, code="unauthenticated")
    row = sessions.usable_session(db, inquiry) or sessions.create_session(db, inquiry, actor=ACTOR)
    return Opened(inquiry, sessions.token_for(secrets, row))


def open_link(db: Session, code: str, secrets: sessions.Secrets) -> Opened:
    link = sessions.redeem_one_time_link(db, code)
    row = repository.session(db, link.session_id) if link else None
    inquiry = repository.inquiry(db, link.inquiry_id) if link else None
    if link is None or row is None or inquiry is None or row.status == SessionStatus.EXPIRED or inquiry.redacted_at is not None:
        raise FlowError("error.link", status=410, code="unauthenticated")
    return Opened(inquiry, sessions.token_for(secrets, row))


def _session_of_token(db: Session, token: str, secret: str) -> InquirySession | None:
    session_id = tokens.session_id_of(secret, token)
    row = repository.session(db, session_id) if session_id else None
    if row is None or row.status == SessionStatus.EXPIRED or (row.expires_at is not None and row.expires_at <= now()):
        return None
    return row


def load(db: Session, token: str | None, secret: str, *, activate: bool = True,
         client: tuple[str | None, str | None] = (None, None)) -> tuple[Inquiry, InquirySession]:
    """The inquiry and session behind the flow cookie; activates a new session (`inquiry-session.started`),
    keeping the `client` (IP address, user agent) that opened it, as Persona's inquiry session does."""
    row = _session_of_token(db, token, secret) if token else None
    get = inquiry_repository.get_for_update if activate else inquiry_repository.get
    inquiry = get(db, row.environment_id, row.inquiry_id) if row else None
    if row is None or inquiry is None or inquiry.redacted_at is not None:
        raise FlowError("error.no_session", status=401, code="unauthenticated")
    if activate and row.status == SessionStatus.NEW:
        row.ip_address, row.user_agent = client[0], (client[1] or "")[:500] or None
        lifecycle.transition(db, row, "start", actor=ACTOR)
    return inquiry, row


def cancel(db: Session, row: InquirySession) -> None:
    """The person closed the flow (the SDK's `exit`)."""
    if lifecycle.transition_allowed(row, "cancel"):
        lifecycle.transition(db, row, "cancel", actor=ACTOR)


# ---------------------------------------------------------------- screens


def config_of(db: Session, inquiry: Inquiry) -> TemplateConfig:
    return templates.inquiry_config(db, inquiry)


def is_sandbox(db: Session, inquiry: Inquiry) -> bool:
    env = auth_repository.environment(db, inquiry.environment_id)
    return bool(env and env.is_sandbox)


def missing_fields(config: TemplateConfig, inquiry: Inquiry) -> list[str]:
    values = inquiry.fields
    return [spec.key for spec in config.field_schema if spec.required and typed_fields.value_of(values, spec.key) in (None, "", [])]


def _current_step(config: TemplateConfig, inquiry: Inquiry, verifications: list[Verification]) -> Step | None:
    name = (inquiry.next_step_name or "").removeprefix("retry_")
    for step in config.steps:
        passed = any(v.status == VerificationStatus.PASSED and v.step_id == step.id for v in verifications)
        if step.step_name == name and not passed:
            return step
    return None


def screen(db: Session, inquiry: Inquiry) -> Screen:
    if inquiry.status not in OPEN_INQUIRY_STATUSES:
        return Screen("done")
    config = config_of(db, inquiry)
    consents = repository.consent_kinds(db, inquiry.id)
    total = len(config.steps) + 1
    if "general" not in consents:
        return Screen("consent", total=total)
    if missing_fields(config, inquiry):
        return Screen("fields", total=total)
    if inquiry.status == InquiryStatus.CREATED:
        progress.start(db, inquiry, ACTOR)  # the first real step starts the inquiry
        if inquiry.status not in OPEN_INQUIRY_STATUSES:
            return Screen("done")
    verifications = verification_repository.of_inquiry(db, inquiry.id)
    step = _current_step(config, inquiry, verifications)
    if step is None:
        return Screen("done")
    number = config.steps.index(step) + 2
    if step.kind == "selfie" and "biometric" not in consents:
        return Screen("biometric", step=step, number=number, total=total)
    if not is_sandbox(db, inquiry) and not engines.processes(step.kind) and not codes.handles(step.kind):
        raise FlowError("error.engine_missing", status=501, code="application_error", kind=step.kind)
    mine = [v for v in verifications if v.step_id == step.id]
    if mine and mine[-1].status == VerificationStatus.SUBMITTED:
        return Screen("processing", step=step, number=number, total=total)  # its job has not concluded yet
    failed = [v for v in mine if v.status in (VerificationStatus.FAILED, VerificationStatus.REQUIRES_RETRY)]
    reasons: list[str] = []
    if inquiry.next_step_name and inquiry.next_step_name.startswith("retry_") and failed:
        reasons = sorted({r for c in failed[-1].checks if c.get("status") == "failed" for r in (c.get("reasons") or ["unknown"])})
    return Screen("step", step=step, retry_reasons=reasons, attempts_left=config.attempts_for(step) - len(failed), number=number, total=total)


def accept_consent(db: Session, inquiry: Inquiry, row: InquirySession, kind: str, language: str) -> None:
    if kind in repository.consent_kinds(db, inquiry.id):
        return
    version = BIOMETRIC_CONSENT_VERSION if kind == "biometric" else CONSENT_VERSION
    db.add(FlowConsent(id=new_id("cnst"), inquiry_id=inquiry.id, session_id=row.id, kind=kind, text_version=version, language=language, accepted_at=now()))
    db.flush()


def save_fields(db: Session, inquiry: Inquiry, form: dict[str, str]) -> dict[str, str]:
    """Validates the fields form against the schema; returns {key: catalogue key} for each problem."""
    config = config_of(db, inquiry)
    schema = inquiries.field_schema(config)
    problems: dict[str, str] = {}
    written: dict[str, Any] = {}
    for spec in config.field_schema:
        raw = (form.get(spec.key) or "").strip()
        if spec.type == "boolean":
            written[spec.key] = raw == "true"
            continue
        if not raw:
            if spec.required:
                problems[spec.key] = "fields.missing"
            continue
        value: Any = raw
        try:
            if spec.type in ("number", "integer"):
                value = int(raw) if spec.type == "integer" else float(raw)
            typed_fields.normalise({spec.key: value}, schema)
        except (ValueError, ApiError):
            problems[spec.key] = "fields.invalid"
            continue
        written[spec.key] = value
    if not problems and written:
        inquiries.update(db, inquiry, {"fields": written}, ACTOR)
    return problems


def sdk_fields(inquiry: Inquiry) -> dict[str, Any]:
    """`fields` of the SDK's `complete`/`fail` metadata: the same typed shape the API answers."""
    return inquiry.fields


# ---------------------------------------------------------------- verification steps


def capture(_db: Session, inquiry: Inquiry, step: Step, config: TemplateConfig, form: dict[str, str], files: dict[str, bytes]) -> Captured:
    """Validates what the person gave for `step` (the kind's intake); raises `uploads.InputProblem`. Nothing is stored yet."""
    kind = kinds.get(step.kind)
    if kind is None or kind.capture is None:
        return Captured()
    return kind.capture(inquiry, step, config, form, files)


def _refused(exc: ApiError) -> uploads.InputProblem:
    """The kind's create refused what the intake let through (a PDF's intake checks...): the person's problem."""
    field_name = (exc.pointer or "").rsplit("/", 1)[-1].removesuffix("-photo") or "upload"
    return uploads.InputProblem("document" if field_name == "files" else field_name, "upload.unreadable")


def submit(db: Session, inquiry: Inquiry, step: Step, captured: Captured) -> Verification:
    """Makes the step's verification as the API does (the kind's `create`, which stores the photos and
    files, then its `submit`, which enqueues the processing job in this transaction): the checks run in
    the job and the inquiry's owner moves the inquiry on as it concludes. The sandbox's simulation
    concludes it here instead, keeping the same evidence."""
    sandbox = is_sandbox(db, inquiry)
    kind = kinds.get(step.kind)
    processed = engines.processes(step.kind, sandbox=sandbox)
    if kind is None or kind.create is None or not (processed or sandbox):
        raise FlowError("error.engine_missing", status=501, code="application_error", kind=step.kind)
    attrs = {**captured.attributes, "inquiry-id": inquiry.id, "verification-template-id": step.id}
    try:
        verification = kind.create(db, inquiry.environment_id, attrs, ACTOR)
    except ApiError as exc:  # the endpoint rolls the request back on an InputProblem
        if exc.status != 422:
            raise
        raise _refused(exc) from None
    if processed and kind.submit is not None:
        kind.submit(db, verification, ACTOR)
    else:
        verifications.simulate(db, verification, True, ACTOR)
    db.flush()
    return verification


# ---------------------------------------------------------------- hand-off to a phone

HANDOFF_SECONDS = 900


def handoff_link(db: Session, inquiry: Inquiry, secrets: sessions.Secrets) -> str:
    """A one-time link for another device to continue the same inquiry (a new session there)."""
    link, _short = sessions.create_one_time_link(db, secrets, inquiry, HANDOFF_SECONDS, actor=ACTOR)
    return link


def progress_state(inquiry: Inquiry) -> str:
    """What a waiting page compares to notice a change: the phone moved the inquiry on, or a verification
    of it concluded (its job finished; a failed retry leaves the step name as it was)."""
    db = object_session(inquiry)
    made = verification_repository.of_inquiry(db, inquiry.id) if db is not None else []
    concluded = sum(v.status not in progress.IN_FLIGHT for v in made)
    return f"{inquiry.status}:{inquiry.next_step_name or ''}:{concluded}"


def qr_svg(link: str) -> str:
    return segno.make(link, error="m").svg_inline(scale=5, border=2, title="QR code", dark="#000", light="#fff")
