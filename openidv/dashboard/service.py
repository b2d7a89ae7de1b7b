"""Dashboard actions: each runs the inquiry service's own rule and writes one audit row (never commits)."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy.orm import Session

from openidv.accounts import repository as accounts_repository
from openidv.auth import repository as environments, service as api_keys
from openidv.auth.service import NewApiKey
from openidv.dashboard import repository
from openidv.dashboard.auth import DashboardSession
from openidv.inquiries import repository as inquiries_repository, service as inquiries
from openidv.inquiry_sessions.service import Secrets, create_one_time_link
from openidv.inquiry_templates import service as templates
from openidv.inquiry_templates.config import VERIFICATION_KINDS, TemplateConfig
from openidv.jobs import admin as jobs_admin
from openidv.kit import crypto
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult
from openidv.lifecycle import InquiryStatus
from openidv.models import Account, AuditLog, Inquiry, InquiryTemplate, InquiryTemplateVersion
from openidv.search import service as search_service
from openidv.tags import service as tag_names

DECISIONS = {"approve": "approve", "decline": "decline", "mark-for-review": "mark_for_review"}
ADMIN_ONLY = ("redact",)
STATUSES = tuple(InquiryStatus)


def environment_id(db: Session, who: DashboardSession) -> str:
    env = environments.environment_by_name(db, who.environment)
    if env is None:
        raise ApiError(404, f"environment {who.environment} does not exist")
    return env.id


def audit(db: Session, who: DashboardSession, env_id: str, action: str, object_id: str | None, before: str | None, after: str | None,
          detail: str | None = None) -> None:
    repository.add_audit(db, AuditLog(
        id=new_id("audit"), environment_id=env_id, user_id=who.user.id, user_email=who.user.email, action=action,
        object_id=object_id, before_status=before, after_status=after, detail=(detail or None) and detail[:2000], created_at=now(),
    ))


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return day + timedelta(days=1) - timedelta(microseconds=1) if end and len(value) <= 10 else day


@dataclass
class Filters:
    status: str = ""
    template: str = ""
    created_from: str = ""
    created_to: str = ""
    tag: str = ""
    reference_id: str = ""
    account: str = ""
    search: str = ""

    @classmethod
    def of(cls, query: dict[str, str]) -> "Filters":
        return cls(**{k: (query.get(k) or "").strip()[:255] for k in cls.__dataclass_fields__})

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def search_indexes(search: str) -> tuple[tuple[str, ...] | None, str | None]:
    """(name tokens, e-mail index) of a search: an e-mail exactly, otherwise the start of each word of a first or last
    name ("Test" finds Bulk7 Tester; openidv.kit.name_tokens), matched on blind indexes without decrypting."""
    if not search:
        return None, None
    if "@" in search:
        return None, crypto.ring().blind_index("email", search)
    return search_service.name_predicate(search).value, None


def list_accounts(db: Session, env_id: str, search: str, reference_id: str, page: Page) -> PageResult[Account]:
    name_tokens, email_index = search_indexes(search)
    return accounts_repository.list_page(db, env_id, page, [reference_id] if reference_id else None, name_tokens=name_tokens, email_index=email_index)


def list_inquiries(db: Session, env_id: str, f: Filters, page: Page) -> PageResult[Inquiry]:
    if f.status and f.status not in STATUSES:
        raise bad_request(f"unknown status {f.status}")
    name_tokens, email_index = search_indexes(f.search)
    return inquiries_repository.list_page(
        db, env_id, page,
        statuses=[f.status] if f.status else None,
        template_ids=[f.template] if f.template else None,
        account_ids=[f.account] if f.account else None,
        reference_id=f.reference_id or None,
        created_start=_day(f.created_from), created_end=_day(f.created_to, end=True),
        tag=f.tag or None, name_tokens=name_tokens, email_index=email_index,
    )


def act(db: Session, who: DashboardSession, env_id: str, inquiry_id: str, action: str, form: dict[str, str], secrets_: Secrets) -> str | None:
    """Run one action on an inquiry; returns a one-time link when one was made."""
    if not who.can_write or (action in ADMIN_ONLY and not who.is_admin):
        raise ApiError(403, f"a {who.user.role} may not {action.replace('-', ' ')}")
    inquiry = inquiries.load(db, env_id, inquiry_id, for_update=True)
    before, detail, link = inquiry.status, None, None
    actor = who.user.id
    if action in DECISIONS:
        detail = form.get("comment", "").strip() or None
        inquiries.decide(db, inquiry, DECISIONS[action], {"comment": detail} if detail else {}, reviewer=("user", who.user.id), actor=actor)
    elif action == "tags":
        names = tag_names.clean([t.strip() for t in form.get("tags", "").split(",") if t.strip()], "tags")
        inquiries.set_tags(db, inquiry, names, actor)
        detail = ", ".join(names)
    elif action == "note":
        inquiries.update(db, inquiry, {"note": form.get("note", "")}, actor)
        detail = "note changed"
    elif action == "resume":
        inquiries.resume(db, inquiry, secrets_, actor)
    elif action == "expire":
        inquiries.expire(db, inquiry, actor)
    elif action == "one-time-link":
        link, _short = create_one_time_link(db, secrets_, inquiry, None, actor=actor)
    elif action == "redact":
        if form.get("confirm") != inquiry.id:
            raise bad_request("type the inquiry id to confirm the redaction")
        inquiries.redact(db, inquiry, actor)
    else:
        raise ApiError(404, f"unknown action {action}")
    audit(db, who, env_id, action, inquiry.id, before, inquiry.status, detail)
    return link


# ---------------------------------------------------------------- templates (admins)

KINDS_HELP = ", ".join(VERIFICATION_KINDS)


def _admin(who: DashboardSession) -> None:
    if not who.is_admin:
        raise ApiError(403, "only an admin may change templates")


def form_list(text: str) -> list[str]:
    """A form field's names, separated by commas or lines."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def form_int(form: dict[str, str], key: str, label: str) -> int | None:
    """An optional whole number from the form; anything else is a 400 naming the field."""
    raw = form.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise bad_request(f"{label} must be a whole number")
    return int(raw)


def config_from_form(base: TemplateConfig, form: dict[str, str]) -> TemplateConfig:
    """A new configuration from the version form; steps of a kind the base already has keep their settings."""
    kinds = form_list(form.get("steps", ""))
    unknown = [k for k in kinds if k not in VERIFICATION_KINDS]
    if unknown:
        raise bad_request(f"unknown verification {unknown[0]!r}; choose from {KINDS_HELP}")
    if len(set(kinds)) != len(kinds):
        raise bad_request("each verification may appear once")
    kept = {step.kind: step for step in base.steps}
    steps: list[dict[str, Any]] = [kept[k].model_dump() if k in kept else {"kind": k} for k in kinds]
    for step in steps:
        checks = form_list(form.get(f"checks-{step['kind']}", ""))
        step["required_checks"] = checks or step.get("required_checks")
    try:
        fields = json.loads(form.get("field_schema") or "[]")
    except ValueError:
        raise bad_request("field schema must be JSON (a list of {key, type, label, required})") from None
    raw = {
        **base.model_dump(mode="json"),
        "steps": steps,
        "allowed_countries": form_list(form.get("allowed_countries", "")),
        "allowed_id_classes": form_list(form.get("allowed_id_classes", "")),
        "max_attempts": form_int(form, "max_attempts", "Attempts") or base.max_attempts,
        "expire_after_create_seconds": form_int(form, "expire_after_create_seconds", "Expiry") or base.expire_after_create_seconds,
        "redirect_uri": form.get("redirect_uri", "").strip() or None,
        "field_schema": fields,
    }
    return templates.parse_config(raw, "form")


def new_template_version(db: Session, who: DashboardSession, env_id: str, template_id: str, form: dict[str, str]) -> InquiryTemplateVersion:
    _admin(who)
    template = load_template(db, env_id, template_id)
    latest = templates.repository.get_version(db, env_id, template.latest_published_version_id or "")
    config = config_from_form(templates.config_of(latest) if latest else TemplateConfig(), form)
    version = templates.new_version(db, template, config, name_display=form.get("name_display", "").strip()[:200] or template.name)
    allowlist = form_list(form.get("domain_allowlist", ""))
    if allowlist != list(template.embedded_flow_domain_allowlist):
        template.embedded_flow_domain_allowlist = allowlist
    audit(db, who, env_id, "template.new-version", template.id, None, "draft", version.id)
    return version


def publish_template_version(db: Session, who: DashboardSession, env_id: str, template_id: str, version_id: str) -> None:
    _admin(who)
    template = load_template(db, env_id, template_id)
    version = templates.repository.get_version(db, env_id, version_id)
    if version is None:
        raise not_found("inquiry template version", version_id)
    templates.publish_version(db, template, version)
    audit(db, who, env_id, "template.publish", template.id, "draft", "published", version.id)


def load_template(db: Session, env_id: str, template_id: str) -> InquiryTemplate:
    template = templates.repository.get_template(db, env_id, template_id)
    if template is None:
        raise not_found("inquiry template", template_id)
    return template


# ---------------------------------------------------------------- analytics


@dataclass
class Bar:
    label: str
    value: int
    share: float  # 0..1 of the chart's scale
    note: str = ""


@dataclass
class Analytics:
    funnel: list[Bar]
    checks: list[Bar]
    decided: int
    median_decision_seconds: float | None


def analytics(db: Session, env_id: str, template_id: str | None, start: str | None, end: str | None) -> Analytics:
    start_at, end_at = _day(start), _day(end, end=True)
    counts = repository.funnel(db, env_id, template_id, start_at, end_at)
    top = max(counts["created"], 1)
    funnel = [Bar(name, n, n / top, f"{100 * n / top:.0f}%") for name, n in counts.items()]
    tally: dict[str, list[int]] = {}
    for checks in repository.checks_in_range(db, env_id, template_id, start_at, end_at):
        for check in checks:
            if check.get("status") in ("passed", "failed"):
                seen = tally.setdefault(str(check.get("name")), [0, 0])
                seen[0] += check["status"] == "passed"
                seen[1] += 1
    bars = [Bar(name, passed, passed / total, f"{passed}/{total} passed ({100 * passed / total:.0f}%)") for name, (passed, total) in sorted(tally.items())]
    durations = sorted((b - a).total_seconds() for a, b in repository.decision_times(db, env_id, template_id, start_at, end_at))
    return Analytics(funnel, bars, len(durations), median(durations) if durations else None)


# ---------------------------------------------------------------- API keys (admins)


def create_api_key(db: Session, who: DashboardSession, env_id: str, form: dict[str, str]) -> NewApiKey:
    if not who.is_admin:
        raise ApiError(403, "only an admin may manage API keys")
    env = environments.environment(db, env_id)
    if env is None:
        raise ApiError(404, f"environment {env_id} does not exist")
    granted = form_list(form.get("permissions", "")) or None
    created = api_keys.create_api_key(db, env, name=form.get("name", "").strip()[:100], granted=granted)
    audit(db, who, env_id, "api-key.create", created.key.id, None, "active", created.key.name)
    return created


def revoke_api_key(db: Session, who: DashboardSession, env_id: str, key_id: str) -> None:
    if not who.is_admin:
        raise ApiError(403, "only an admin may manage API keys")
    key = next((k for k in environments.api_keys(db, env_id) if k.id == key_id), None)
    if key is None:
        raise not_found("API key", key_id)
    if key.revoked_at is None:
        api_keys.revoke_api_key(db, key)
        audit(db, who, env_id, "api-key.revoke", key.id, "active", "revoked", key.name)


def create_inquiry(db: Session, who: DashboardSession, env_id: str, template_id: str, form: dict[str, str], secrets_: Secrets) -> tuple[Inquiry, str]:
    """A new inquiry from a template, with a one-time link to send the person."""
    if not who.can_write:
        raise ApiError(403, f"a {who.user.role} may not create inquiries")
    attrs: dict[str, Any] = {"inquiry-template-id": load_template(db, env_id, template_id).id, "creator-email-address": who.user.email}
    if form.get("reference_id", "").strip():
        attrs["reference-id"] = form["reference_id"].strip()
    created = inquiries.create(db, env_id, attrs, {"auto-create-one-time-link": True}, actor=who.user.id, session_secrets=secrets_)
    audit(db, who, env_id, "inquiry.create", created.inquiry.id, None, created.inquiry.status, template_id)
    return created.inquiry, created.meta["one-time-link"] or ""


def change_job(db: Session, who: DashboardSession, env_id: str, job_id: str, action: str) -> None:
    """Retry or cancel a job (admins only), with an audit row in the environment the admin is in."""
    change = {"retry": jobs_admin.retry, "cancel": jobs_admin.cancel}.get(action)
    if change is None:
        raise not_found("action", action)
    if not who.is_admin:
        raise ApiError(403, f"only an admin may {action} jobs")
    before, job = change(db, job_id, now())
    audit(db, who, env_id, f"job.{action}", job.id, before, jobs_admin.status_of(job, now()), detail=job.name)
