"""Dashboard actions: each runs the inquiry service's own rule and writes one audit row (never commits)."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from openidv.auth import repository as environments
from openidv.dashboard import repository
from openidv.dashboard.auth import DashboardSession
from openidv.inquiries import repository as inquiries_repository, service as inquiries
from openidv.inquiry_sessions.service import Secrets, create_one_time_link
from openidv.kit import crypto, tags as tag_names
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult
from openidv.models import AuditLog, Inquiry

DECISIONS = {"approve": "approve", "decline": "decline", "mark-for-review": "mark_for_review"}
ADMIN_ONLY = ("redact",)
STATUSES = ("created", "pending", "completed", "failed", "expired", "needs_review", "approved", "declined")


def environment_id(db: Session, who: DashboardSession) -> str:
    env = environments.environment_by_name(db, who.environment)
    if env is None:
        raise ApiError(404, f"environment {who.environment} does not exist")
    return env.id


def audit(db: Session, who: DashboardSession, env_id: str, action: str, object_id: str | None, before: str | None, after: str | None, detail: str | None = None) -> None:
    repository.add_audit(db, AuditLog(
        id=new_id("audit"), environment_id=env_id, user_id=who.user.id, user_email=who.user.email, action=action,
        object_id=object_id, before_status=before, after_status=after, detail=(detail or None) and detail[:2000], created_at=now(),
    ))


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
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


def list_inquiries(db: Session, env_id: str, f: Filters, page: Page) -> PageResult[Inquiry]:
    if f.status and f.status not in STATUSES:
        raise bad_request(f"unknown status {f.status}")
    search = f.search
    # Search goes through the blind indexes: an e-mail exactly, otherwise a full name (case and spacing normalised by the ring).
    email_index = crypto.ring().blind_index("email", search) if "@" in search else None
    name_index = crypto.ring().blind_index("name", search) if search and not email_index else None
    return inquiries_repository.list_page(
        db, env_id, page,
        statuses=[f.status] if f.status else None,
        template_ids=[f.template] if f.template else None,
        account_ids=[f.account] if f.account else None,
        reference_id=f.reference_id or None,
        created_start=_day(f.created_from), created_end=_day(f.created_to, end=True),
        tag=f.tag or None, name_index=name_index, email_index=email_index,
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
