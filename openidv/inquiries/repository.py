"""SQL for inquiries and the rows that hang off them."""

import json
from contextlib import nullcontext
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, String, bindparam, cast, insert, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.lifecycle import OPEN_INQUIRY_STATUSES
from openidv.models import Document, Inquiry, InquirySession, Report, Verification
from openidv.search import repository as search
from openidv.search.service import Kind, Search


def get(session: Session, environment_id: str, inquiry_id: str) -> Inquiry | None:
    inquiry = session.get(Inquiry, inquiry_id)
    return inquiry if inquiry is not None and inquiry.environment_id == environment_id else None


def get_for_update(session: Session, environment_id: str, inquiry_id: str) -> Inquiry | None:
    """Lock the row on PostgreSQL so two status changes of one inquiry queue (SQLite's writer lock does it there)."""
    inquiry = session.scalar(select(Inquiry).where(Inquiry.id == inquiry_id, Inquiry.environment_id == environment_id).with_for_update())
    return inquiry


def list_page(
    session: Session,
    environment_id: str,
    page: Page,
    *,
    ids: list[str] | None = None,
    account_ids: list[str] | None = None,
    template_ids: list[str] | None = None,
    statuses: list[str] | None = None,
    reference_id: str | None = None,
    note: str | None = None,
    created_start: datetime | None = None,
    created_end: datetime | None = None,
    tag: str | None = None,
    name_tokens: tuple[str, ...] | None = None,
    email_index: str | None = None,
) -> PageResult[Inquiry]:
    query = select(Inquiry).where(Inquiry.environment_id == environment_id)
    if ids:
        query = query.where(Inquiry.id.in_(ids))
    if account_ids:
        query = query.where(Inquiry.account_id.in_(account_ids))
    if template_ids:
        query = query.where(Inquiry.template_id.in_(template_ids))
    if statuses:
        query = query.where(Inquiry.status.in_(statuses))
    if reference_id is not None:
        query = query.where(Inquiry.reference_id == reference_id)
    if note is not None:
        query = query.where(Inquiry.note_index == Inquiry.note_index_of(note))  # the note is sealed: its blind index
    if created_start is not None:
        query = query.where(Inquiry.created_at >= created_start)
    if created_end is not None:
        query = query.where(Inquiry.created_at <= created_end)
    if tag:  # tags are a JSON list of strings; the quoted name matches one element exactly
        query = query.where(cast(Inquiry.tags, String).contains(json.dumps(tag), autoescape=True))
    if name_tokens:
        query = query.where(search.name_matches(session, Inquiry, environment_id, name_tokens))
    if email_index:
        query = query.where(Inquiry.email_index == email_index)
    return paged(session, query, Inquiry, page)


# Persona's searchable attributes of an inquiry, and the names openidv adds (partial name, e-mail), for POST /inquiries/search.
SEARCHABLE: dict[str, Kind] = {
    "status": "exact", "created_at": "time", "updated_at": "time", "reference_id": "exact", "inquiry_template_id": "exact",
    "account_id": "exact", "name": "name", "fields.name_first": "name", "fields.name_last": "name", "fields.email_address": "email",
}
SORTABLE = ("created_at", "updated_at", "status")
_COLUMNS = {"status": Inquiry.status, "created_at": Inquiry.created_at, "updated_at": Inquiry.updated_at, "reference_id": Inquiry.reference_id,
            "inquiry_template_id": Inquiry.template_id, "account_id": Inquiry.account_id, "fields.email_address": Inquiry.email_index}


def search_page(session: Session, environment_id: str, wanted: Search) -> PageResult[Inquiry]:
    query = select(Inquiry).where(Inquiry.environment_id == environment_id)
    if wanted.query is not None:
        query = query.where(search.condition(session, wanted.query, Inquiry, environment_id, _COLUMNS))
    return search.keyset_page(session, environment_id, query, Inquiry, _COLUMNS[wanted.sort], wanted.ascending, wanted.page)


def add_many(session: Session, rows: list[dict[str, object]]) -> None:
    """Bulk insert of prepared inquiry rows (benchmarks and imports): one statement, no per-row ORM work."""
    session.execute(insert(Inquiry), rows)


def of_account(session: Session, account_id: str) -> list[Inquiry]:
    return list(session.scalars(select(Inquiry).where(Inquiry.account_id == account_id)))


def _related_statement() -> Select[str, str, str]:
    def family(name: str) -> Any:
        return literal(name, String).label("family")

    inquiry_id: Any = bindparam("inquiry_id")
    parts = [
        select(InquirySession.id, family("session"), literal("", String).label("kind"), InquirySession.created_at).where(
            InquirySession.inquiry_id == inquiry_id
        ),
        select(Verification.id, family("verification"), Verification.kind, Verification.created_at).where(Verification.inquiry_id == inquiry_id),
        select(Document.id, family("document"), Document.kind, Document.created_at).where(Document.inquiry_id == inquiry_id),
        select(Report.id, family("report"), Report.kind, Report.created_at).where(Report.inquiry_id == inquiry_id),
    ]
    every = union_all(*parts).subquery()
    return select(every.c.id, every.c.family, every.c.kind).order_by(every.c.created_at, every.c.id)


_RELATED = _related_statement()  # built once: constructing the union costs more than running it
_RELATED_MODELS = (InquirySession, Verification, Document, Report)


class Related(NamedTuple):
    """What an inquiry's relationships list, each oldest first: session ids and (type, id) pairs."""

    sessions: list[str]
    verifications: list[tuple[str, str]]
    documents: list[tuple[str, str]]
    reports: list[tuple[str, str]]


_FAMILIES = {InquirySession: "session", Verification: "verification", Document: "document", Report: "report"}


def related_refs(session: Session, inquiry: Inquiry) -> Related:
    """An inquiry's sessions, verifications, documents and reports in one round trip: every inquiry answer needs them."""
    found = Related([], [], [], [])
    rows: list[tuple[str, str, str]]
    if inspect(inquiry).pending:  # not written yet, so no row points at it: what it has is pending beside it
        mine: list[Any] = [obj for obj in session.new if isinstance(obj, _RELATED_MODELS) and obj.inquiry_id == inquiry.id]
        rows = [(obj.id, _FAMILIES[type(obj)], getattr(obj, "kind", "")) for obj in sorted(mine, key=lambda obj: inspect(obj).insert_order)]
    else:
        # Pending rows of other kinds (the inquiry itself, its events, its account) need not be flushed first: they
        # reach the database together at commit, one flush instead of one per answer rendered.
        pending = any(isinstance(obj, _RELATED_MODELS) for obj in (*session.new, *session.dirty, *session.deleted))
        with nullcontext() if pending else session.no_autoflush:
            rows = [(row_id, family, kind) for row_id, family, kind in session.execute(_RELATED, {"inquiry_id": inquiry.id})]
    for row_id, row_family, kind in rows:
        if row_family == "session":
            found.sessions.append(row_id)
        else:
            getattr(found, f"{row_family}s").append((f"{row_family}/{kind}", row_id))
    return found


def due_for_expiry(session: Session, at: datetime, limit: int = 500) -> list[Inquiry]:
    return list(
        session.scalars(
            select(Inquiry)
            .where(Inquiry.status.in_(OPEN_INQUIRY_STATUSES), Inquiry.expires_at <= at)
            .order_by(Inquiry.expires_at)
            .limit(limit)
        )
    )
