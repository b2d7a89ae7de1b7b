"""JSON:API rendering of inquiries (canonical 2025-12-08 kebab form) and what `include` can add."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.inquiries import repository
from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, refs, resource
from openidv.models import Inquiry


def render_inquiry(session: Session, inquiry: Inquiry) -> dict[str, Any]:
    reviewer = ref(inquiry.reviewer_type, inquiry.reviewer_id) if inquiry.reviewer_type else {"data": None}
    related = repository.related_refs(session, inquiry)
    return resource(
        "inquiry",
        inquiry.id,
        {
            "status": inquiry.status,
            "reference-id": inquiry.reference_id,
            "note": inquiry.note,
            "behaviors": inquiry.behaviors or {},
            "tags": list(inquiry.tags or []),
            "creator": inquiry.creator,
            "reviewer-comment": inquiry.reviewer_comment,
            "created-at": iso(inquiry.created_at),
            "updated-at": iso(inquiry.updated_at),
            "started-at": iso(inquiry.started_at),
            "expires-at": iso(inquiry.expires_at),
            "completed-at": iso(inquiry.completed_at),
            "failed-at": iso(inquiry.failed_at),
            "marked-for-review-at": iso(inquiry.marked_for_review_at),
            "decisioned-at": iso(inquiry.decisioned_at),
            "expired-at": iso(inquiry.expired_at),
            "redacted-at": iso(inquiry.redacted_at),
            "previous-step-name": inquiry.previous_step_name,
            "next-step-name": inquiry.next_step_name,
            "fields": {} if inquiry.redacted_at else inquiry.fields,
        },
        {
            "account": ref("account", inquiry.account_id),
            "documents": refs(related.documents),
            "template": {"data": None},
            "inquiry-template": ref("inquiry-template", inquiry.template_id),
            "inquiry-template-version": ref("inquiry-template-version", inquiry.template_version_id),
            "reports": refs(related.reports),
            "transaction": {"data": None},
            "reviewer": reviewer,
            "selfies": {"data": []},
            "sessions": refs(("inquiry-session", sid) for sid in related.sessions),
            "verifications": refs(related.verifications),
        },
    )

