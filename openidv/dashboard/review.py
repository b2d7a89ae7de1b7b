"""The review queue's rules: the rows a list shows (names decrypted for the page's rows only), the next inquiry
to review, the confirmation a reversing decision needs, bulk tagging and the CSV export of a filtered list."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from openidv.dashboard import repository, service
from openidv.dashboard.auth import DashboardSession
from openidv.inquiries import service as inquiries
from openidv.inquiry_templates import repository as templates_repository
from openidv.kit import fields as typed_fields
from openidv.kit.errors import ApiError, bad_request
from openidv.kit.jsonapi import Page
from openidv.lifecycle import InquiryStatus
from openidv.models import Inquiry
from openidv.tags import service as tag_names

# Decisions that undo an earlier one need an explicit confirmation: (action, status it reverses).
REVERSALS: dict[tuple[str, str], str] = {("approve", InquiryStatus.DECLINED): "declined", ("decline", InquiryStatus.APPROVED): "approved"}
DONE = {"approve": "Approved", "decline": "Declined", "mark-for-review": "Marked for review"}
MAX_BULK = 100
EXPORT_LIMIT = 100_000  # rows per export; a larger list is narrowed with the filters first
CSV_COLUMNS = ("inquiry id", "status", "template", "reference id", "tags", "created at (UTC)")


@dataclass
class Row:
    id: str
    status: str
    name: str | None  # None when the role may not see personal data, or there is none
    template: str
    reference_id: str | None
    tags: list[str]
    created_at: datetime


def may_see_names(who: DashboardSession) -> bool:
    """Reviewers and admins handle personal data; a viewer sees statuses, never names."""
    return who.can_write


def _name(inquiry: Inquiry) -> str | None:
    return None if inquiry.redacted_at else typed_fields.full_name(inquiry.fields)


def rows(db: Session, who: DashboardSession, env_id: str, items: list[Inquiry]) -> list[Row]:
    """What the lists show of each inquiry: one template query, and one decryption per row shown."""
    names = {t.id: t.name for t in templates_repository.all_templates(db, env_id)}
    see = may_see_names(who)
    return [Row(i.id, i.status, _name(i) if see else None, names.get(i.template_id, i.template_id), i.reference_id, list(i.tags), i.created_at)
            for i in items]


def next_in_queue(db: Session, env_id: str, after: Inquiry | None) -> Inquiry | None:
    """The queue's next inquiry after `after` (oldest first), else its first: skipped ones come round again, and the
    only one left comes back to itself (None only when the queue is empty)."""
    following = repository.review_queue(db, env_id, 2, after)
    following = [i for i in following if after is None or i.id != after.id]
    if following:
        return following[0]
    first = repository.review_queue(db, env_id, 2, None)
    return next((i for i in first if after is None or i.id != after.id), first[0] if first else None)


def reversal(db: Session, env_id: str, inquiry_id: str, action: str) -> str | None:
    """The decision `action` would reverse ("approved", "declined"), or None."""
    return REVERSALS.get((action, inquiries.load(db, env_id, inquiry_id).status))


def bulk_tag(db: Session, who: DashboardSession, env_id: str, ids: list[str], tag: str) -> int:
    """Add one tag to the chosen inquiries (each through the inquiry service, audited); returns how many changed."""
    if not who.can_write:
        raise ApiError(403, f"a {who.user.role} may not tag inquiries")
    if not ids:
        raise bad_request("Choose at least one inquiry to tag.")
    if len(ids) > MAX_BULK:
        raise bad_request(f"Tag at most {MAX_BULK} inquiries at once.")
    (name,) = tag_names.clean([tag.strip()], "tag") if tag.strip() else (None,)
    if not name:
        raise bad_request("Type the tag to add.")
    changed = 0
    for inquiry_id in ids:
        inquiry = inquiries.load(db, env_id, inquiry_id, for_update=True)
        if name in inquiry.tags:
            continue
        inquiries.add_tags(db, inquiry, [name], who.user.id)
        service.audit(db, who, env_id, "tags", inquiry.id, inquiry.status, inquiry.status, f"added {name} (bulk)")
        changed += 1
    return changed


def _cell(value: object) -> str:
    """A spreadsheet opens a cell starting with = + - @ (or a tab or carriage return) as a formula: quote it."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(db: Session, see: bool, env_id: str, f: service.Filters) -> Iterator[str]:
    """The filtered list as CSV lines, newest first, a page of 500 at a time (names only when `see`: may_see_names)."""
    names = {t.id: t.name for t in templates_repository.all_templates(db, env_id)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS[:2], *(["name"] if see else []), *CSV_COLUMNS[2:]])
    after, sent = None, 0
    while sent < EXPORT_LIMIT:
        result = service.list_inquiries(db, env_id, f, Page(size=500, after=after, before=None))
        for i in result.items:
            writer.writerow([_cell(v) for v in (i.id, i.status, *([_name(i)] if see else []), names.get(i.template_id, i.template_id),
                                                i.reference_id, " ".join(i.tags), i.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"))])
        sent += len(result.items)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
        if not result.has_next or not result.items:
            return
        after = result.items[-1].id
