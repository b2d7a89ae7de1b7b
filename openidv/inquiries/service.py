"""Inquiry rules: creation from a template, updates, decisions, expiry, resume, redaction, tags, sandbox simulation.

Status changes go through `openidv.lifecycle`; nothing here commits (the request does).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.accounts import service as accounts
from openidv.api import idempotency
from openidv.documents import service as documents
from openidv.events import service as events
from openidv.inquiries import progress, repository
from openidv.inquiry_sessions import service as sessions
from openidv.inquiry_templates import service as templates
from openidv.inquiry_templates.config import TemplateConfig
from openidv.kit import crypto, fields as typed_fields, versions
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import MAX_SECONDS, get_bool, get_dict, get_int, get_str, get_str_list
from openidv.lifecycle import InquiryStatus
from openidv.models import Account, Event, Inquiry, Verification
from openidv.search import service as name_search
from openidv.tags import service as tag_names
from openidv.verifications import kinds, repository as verification_repository, service as verifications

TEMPLATE_KEYS = ("inquiry-template-id", "inquiry-template-version-id", "template-id")
CREATE_ATTRIBUTES = frozenset(TEMPLATE_KEYS + (
    "account-id", "reference-id", "creator-email-address", "theme-id", "theme-set-id", "redirect-uri", "note", "tags",
    "initial-step-name", "fields",
) + versions.INQUIRY_PII)
ATTR = "data.attributes"


@dataclass
class Created:
    inquiry: Inquiry
    meta: dict[str, str | None]


def field_schema(config: TemplateConfig) -> dict[str, tuple[str, list[str] | None]]:
    return {spec.key: (spec.type, spec.choices) for spec in config.field_schema}


def _written_fields(attrs: dict[str, Any]) -> dict[str, Any]:
    """`fields`, plus the 2023-01-05 top-level PII attributes that write into them."""
    written = dict(get_dict(attrs, "fields", ATTR) or {})
    for key in versions.INQUIRY_PII:
        if key in attrs and attrs[key] is not None:
            written.setdefault(key, attrs[key])
    return written


def _index(db: Session, inquiry: Inquiry, values: dict[str, Any], *, new: bool = False) -> None:
    name_search.index(db, inquiry.environment_id, inquiry.id, values, new=new)
    email = typed_fields.value_of(values, "email-address")
    inquiry.email_index = crypto.ring().blind_index("email", email) if isinstance(email, str) and email else None


def _resolve_account(db: Session, environment_id: str, attrs: dict[str, Any], meta: dict[str, Any], actor: str) -> Account | None:
    account_id = get_str(attrs, "account-id", ATTR)
    auto = get_bool(meta, "auto-create-account", "meta", True)
    auto_reference = get_str(meta, "auto-create-account-reference-id", "meta", max_length=255)
    auto_type = get_str(meta, "auto-create-account-type-id", "meta")
    if not auto and (auto_reference or auto_type):
        raise bad_request("meta.auto-create-account-reference-id and meta.auto-create-account-type-id need meta.auto-create-account")
    if account_id:
        return accounts.usable(db, environment_id, account_id)
    if not auto:
        return None
    # As Persona: every inquiry gets an account, the one of its reference id when given, else a new one.
    reference = auto_reference or get_str(attrs, "reference-id", ATTR, max_length=255)
    if not reference:
        return accounts.create(db, environment_id, actor=actor)
    account = accounts.find_or_create(db, environment_id, reference, actor=actor)
    if account.consolidated_into_id:
        raise ApiError(422, f"Account {account.id} was consolidated into another account", title="Unprocessable entity")
    return account


def create(db: Session, environment_id: str, attrs: dict[str, Any], meta: dict[str, Any], *, actor: str, session_secrets: sessions.Secrets) -> Created:
    unknown = sorted(set(attrs) - CREATE_ATTRIBUTES)
    if unknown:
        raise bad_request(f"{ATTR}.{unknown[0]} is not a permitted attribute")
    given = [key for key in TEMPLATE_KEYS if attrs.get(key) is not None]
    if len(given) != 1:
        raise bad_request(f"{ATTR} must have exactly one of inquiry-template-id, inquiry-template-version-id, template-id")
    template_ref = get_str(attrs, given[0], ATTR, required=True) or ""
    template, version = templates.resolve_for_inquiry(db, environment_id, template_ref, f"{ATTR}.{given[0]}")
    config = templates.config_of(version)

    tags = tag_names.clean(get_str_list(attrs, "tags", ATTR) or [], f"{ATTR}.tags")
    note = get_str(attrs, "note", ATTR)
    redirect_uri = get_str(attrs, "redirect-uri", ATTR, max_length=2000)
    creator = get_str(attrs, "creator-email-address", ATTR, max_length=255) or "API"
    for accepted in ("theme-id", "theme-set-id", "initial-step-name"):  # accepted for compatibility; still typed
        get_str(attrs, accepted, ATTR, max_length=255)
    values = typed_fields.normalise(_written_fields(attrs), field_schema(config))
    expire_after_create = (
        get_int(meta, "expiration-after-create-interval-seconds", "meta", minimum=1, maximum=MAX_SECONDS) or config.expire_after_create_seconds
    )
    # The interval after start defaults to the one after creation (COMPAT.md §4.1).
    expire_after_start = (
        get_int(meta, "expiration-after-start-interval-seconds", "meta", minimum=1, maximum=MAX_SECONDS)
        or config.expire_after_start_seconds or expire_after_create
    )
    expire_after_resume = (
        get_int(meta, "expiration-after-resume-interval-seconds", "meta", minimum=1, maximum=MAX_SECONDS) or config.expire_after_resume_seconds
    )
    link_seconds = get_int(meta, "one-time-link-expiration-seconds", "meta", minimum=1, maximum=MAX_SECONDS)
    want_session = get_bool(meta, "auto-create-inquiry-session", "meta", False)
    want_link = get_bool(meta, "auto-create-one-time-link", "meta", False)

    account = _resolve_account(db, environment_id, attrs, meta, actor)
    stamp = now()
    inquiry = Inquiry(
        id=new_id("inq"),
        environment_id=environment_id,
        template_id=template.id,
        template_version_id=version.id,
        account_id=account.id if account else None,
        reference_id=get_str(attrs, "reference-id", ATTR, max_length=255) or (account.reference_id if account else None),
        note=note,
        tags=tags,
        creator=creator,
        behaviors={},
        redirect_uri=redirect_uri,
        expire_after_start_seconds=expire_after_start,
        expire_after_resume_seconds=expire_after_resume,
        created_at=stamp,
        updated_at=stamp,
        expires_at=progress.deadline_after_create(stamp, expire_after_create),
        next_step_name="start",
    )
    inquiry.fields = values
    _index(db, inquiry, values, new=True)
    tag_names.register(db, environment_id, tags)
    lifecycle.create(db, inquiry, actor=actor)

    out: dict[str, str | None] = {"session-token": None, "one-time-link": None, "one-time-link-short": None}
    if want_session:
        out["session-token"] = sessions.token_for(session_secrets, sessions.create_session(db, inquiry, actor=actor))
    if want_link:
        out["one-time-link"], out["one-time-link-short"] = sessions.create_one_time_link(db, session_secrets, inquiry, link_seconds, actor=actor)
    return Created(inquiry, out)


def load(db: Session, environment_id: str, inquiry_id: str, *, for_update: bool = False) -> Inquiry:
    inquiry = (repository.get_for_update if for_update else repository.get)(db, environment_id, inquiry_id)
    if inquiry is None:
        raise not_found("inquiry", inquiry_id)
    return inquiry


def _not_redacted(inquiry: Inquiry) -> None:
    if inquiry.redacted_at is not None:
        raise conflict("Inquiry already redacted")


def update(db: Session, inquiry: Inquiry, attrs: dict[str, Any], actor: str) -> None:
    """`note`, `fields`, `tags`, `redirect-uri` in any status; no webhooks re-sent for fields."""
    allowed = {"note", "fields", "tags", "redirect-uri", *versions.INQUIRY_PII}
    unknown = sorted(set(attrs) - allowed)
    if unknown:
        raise bad_request(f"{ATTR}.{unknown[0]} is not a permitted attribute")
    _not_redacted(inquiry)
    if "note" in attrs:
        inquiry.note = get_str(attrs, "note", ATTR)
    if "redirect-uri" in attrs:
        inquiry.redirect_uri = get_str(attrs, "redirect-uri", ATTR, max_length=2000)
    written = _written_fields(attrs)
    if written:
        merged = {**inquiry.fields, **typed_fields.normalise(written, field_schema(templates.inquiry_config(db, inquiry)))}
        inquiry.fields = merged
        _index(db, inquiry, merged)
    inquiry.updated_at = now()
    db.flush()
    if "tags" in attrs:
        set_tags(db, inquiry, tag_names.clean(get_str_list(attrs, "tags", ATTR) or [], f"{ATTR}.tags"), actor)


def fill_from_verification(db: Session, verification: Verification, action: str, _actor: str | None) -> None:
    """A lifecycle observer of verifications, installed before the progress owner's so that the fields are
    in place when the inquiry completes (its `inquiry.completed` event, the flow's `complete` metadata and
    the webhooks carry them): a passed verification fills its inquiry's empty fields with what it read (a
    government ID's name, birthdate, address, number, class...), API-made or flow-made alike. A value the
    person or the API gave stays; a key is filled when it is a standard field or one of the template's."""
    if action != "pass" or not verification.inquiry_id:
        return
    kind = kinds.get(verification.kind)
    read = kind.inquiry_fields(verification) if kind is not None and kind.inquiry_fields is not None else {}
    inquiry = repository.get_for_update(db, verification.environment_id, verification.inquiry_id) if read else None
    if inquiry is None or inquiry.redacted_at is not None:
        return
    schema = field_schema(templates.inquiry_config(db, inquiry))
    written: dict[str, Any] = {}
    for key, value in read.items():
        if (key in schema or key in typed_fields.STANDARD_KEYS) and typed_fields.value_of(inquiry.fields, key) in (None, "", []):
            try:
                written.update(typed_fields.normalise({key: value}, schema))
            except ApiError:  # the template types this field otherwise (a list of choices...): it keeps its own
                continue
    if written:
        merged = {**inquiry.fields, **written}
        inquiry.fields = merged
        _index(db, inquiry, merged)
        inquiry.updated_at = now()
        db.flush()


def decide(db: Session, inquiry: Inquiry, action: str, meta: dict[str, Any], *, reviewer: tuple[str, str] | None, actor: str) -> None:
    """approve / decline / mark_for_review, with an optional `meta.comment`."""
    _not_redacted(inquiry)
    comment = get_str(meta, "comment", "meta")
    if action in ("approve", "decline"):
        inquiry.reviewer_type, inquiry.reviewer_id = reviewer or (None, None)
    if comment is not None:
        inquiry.reviewer_comment = comment
    lifecycle.transition(db, inquiry, action, actor=actor)


def expire(db: Session, inquiry: Inquiry, actor: str) -> None:
    _not_redacted(inquiry)
    progress.expire(db, inquiry, actor)


def resume(db: Session, inquiry: Inquiry, secrets_: sessions.Secrets, actor: str) -> str:
    _not_redacted(inquiry)
    return progress.resume(db, inquiry, secrets_, actor)


def set_tags(db: Session, inquiry: Inquiry, names: list[str], actor: str) -> None:
    tag_names.register(db, inquiry.environment_id, names)
    inquiry.tags = names
    inquiry.updated_at = now()
    lifecycle.transition(db, inquiry, "update_tags", actor=actor)


def add_tags(db: Session, inquiry: Inquiry, names: list[str], actor: str) -> None:
    set_tags(db, inquiry, list(inquiry.tags) + [n for n in names if n not in inquiry.tags], actor)


def remove_tags(db: Session, inquiry: Inquiry, names: list[str], actor: str) -> None:
    set_tags(db, inquiry, [t for t in inquiry.tags if t not in names], actor)


def redact(db: Session, inquiry: Inquiry, actor: str) -> None:
    """Remove PII irreversibly (fields, verification data, event payloads); keep status and timestamps."""
    _not_redacted(inquiry)
    documents.forget_inquiry_documents(db, inquiry)
    inquiry.fields = {}
    inquiry.email_index = None
    name_search.forget(db, [inquiry.id])
    inquiry.note = inquiry.reviewer_comment = None
    for verification in verification_repository.of_inquiry(db, inquiry.id):
        verification.data = {}
        verifications.forget(db, verification)
        lifecycle.transition(db, verification, "redact", actor=actor)
    lifecycle.transition(db, inquiry, "redact", actor=actor)
    events.scrub_object(db, inquiry.id)
    for verification in verification_repository.of_inquiry(db, inquiry.id):
        events.scrub_object(db, verification.id)
    # Stored Idempotency-Key answers that created them held the same PII (and a session token).
    idempotency.forget(db, [inquiry.id, *(v.id for v in verification_repository.of_inquiry(db, inquiry.id))])


def redact_with_account(db: Session, event: Event) -> None:
    """An event follow-up: an account's redaction (`account.redacted`) takes its inquiries, in the same transaction."""
    if event.name != "account.redacted":
        return
    for inquiry in repository.of_account(db, event.object_id):
        if inquiry.redacted_at is None:
            redact(db, inquiry, event.actor or "system")


# ---------------------------------------------------------------- sandbox simulation

_STATUS_ACTIONS = {
    "start_inquiry": "start",
    "complete_inquiry": "complete",
    "fail_inquiry": "fail",
    "expire_inquiry": "expire",
    "mark_for_review_inquiry": "mark_for_review",
    "approve_inquiry": "approve",
    "decline_inquiry": "decline",
}


def simulate(db: Session, inquiry: Inquiry, meta: dict[str, Any], *, sandbox: bool, actor: str) -> None:
    if not sandbox:
        raise ApiError(403, "Simulate actions are only available in the sandbox environment")
    actions = meta.get("simulate-actions")
    if not isinstance(actions, list) or not actions:
        raise bad_request("meta.simulate-actions must be a non-empty array")
    _not_redacted(inquiry)
    for index, action in enumerate(actions):
        where = f"meta.simulate-actions[{index}]"
        if not isinstance(action, dict) or not isinstance(action.get("type"), str):
            raise bad_request(f"{where}.type is missing")
        kind = action["type"]
        if kind in _STATUS_ACTIONS:
            _simulate_status(db, inquiry, _STATUS_ACTIONS[kind], actor)
        elif kind in ("create_passed_verification", "create_failed_verification"):
            data = action.get("data")
            step_id = data.get("verification-template-id") if isinstance(data, dict) else None
            if not isinstance(step_id, str):
                raise bad_request(f"{where}.data.verification-template-id is missing")
            progress.simulate_verification(db, inquiry, step_id, kind == "create_passed_verification", actor)
        else:
            raise bad_request(f"{where}.type {kind!r} is not a simulate action")


def _simulate_status(db: Session, inquiry: Inquiry, action: str, actor: str) -> None:
    if action in ("complete", "fail") and inquiry.status == InquiryStatus.CREATED:
        progress.start(db, inquiry, actor)
        if inquiry.status != InquiryStatus.PENDING:
            return
    if action == "start":
        progress.start(db, inquiry, actor)
    elif action == "expire":
        expire(db, inquiry, actor)
    elif action in ("approve", "decline", "mark_for_review"):
        decide(db, inquiry, action, {}, reviewer=None, actor=actor)
    else:
        lifecycle.transition(db, inquiry, action, actor=actor)
