"""JSON:API rendering shared by every verification type (`verification/<kind>`)."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.kit.clock import iso, unix
from openidv.kit.jsonapi import ref, resource
from openidv.models import Inquiry, Verification
from openidv.verifications import kinds


def render_verification(session: Session, verification: Verification) -> dict[str, Any]:
    inquiry = session.get(Inquiry, verification.inquiry_id) if verification.inquiry_id else None
    attributes: dict[str, Any] = {
        "status": verification.status,
        "created-at": iso(verification.created_at),
        "created-at-ts": unix(verification.created_at),
        "submitted-at": iso(verification.submitted_at),
        "submitted-at-ts": unix(verification.submitted_at),
        "completed-at": iso(verification.completed_at),
        "completed-at-ts": unix(verification.completed_at),
        "redacted-at": iso(verification.redacted_at),
        "country-code": verification.country_code,
        "tags": list(verification.tags or []),
        "checks": list(verification.checks or []),
    }
    kind = kinds.get(verification.kind)  # its own attributes (`phone-number`, `normalized-address-*`...) and relationships
    if kind is not None:
        attributes.update(kind.attributes(verification))
    relationships = kind.relationships(verification) if kind is not None and kind.relationships else {}
    return resource(
        f"verification/{verification.kind}",
        verification.id,
        attributes,
        {
            "inquiry": ref("inquiry", verification.inquiry_id),
            "template": {"data": None},
            "inquiry-template-version": ref("inquiry-template-version", inquiry.template_version_id if inquiry else None),
            "inquiry-template": ref("inquiry-template", inquiry.template_id if inquiry else None),
            "transaction": {"data": None},
            "verification-template": ref("verification-template", verification.step_id),
            "verification-template-version": {"data": None},
            "accounts": {"data": [{"type": "account", "id": inquiry.account_id}] if inquiry and inquiry.account_id else []},
            **relationships,
        },
    )
