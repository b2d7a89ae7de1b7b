"""JSON:API rendering of cases, case templates and case comments (canonical 2025-12-08 kebab form; 2023-01-05
has the same shape)."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.cases import repository
from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, resource
from openidv.models import Case, CaseComment, CaseTemplate

# Relationship name of each object family a case holds.
RELATIONSHIP_OF = {"inquiry": "inquiries", "account": "accounts", "report": "reports", "verification": "verifications"}


def render_case(session: Session, case: Case) -> dict[str, Any]:
    held: dict[str, list[dict[str, str]]] = {name: [] for name in RELATIONSHIP_OF.values()}
    for item in repository.objects_of(session, case.id):
        held[RELATIONSHIP_OF[item.object_type.split("/")[0]]].append({"type": item.object_type, "id": item.object_id})
    comments = [{"type": "case-comment", "id": c.id} for c in repository.comments_of(session, case.id)]
    return resource(
        "case",
        case.id,
        {
            "status": case.status,
            "name": case.name,
            "resolution": case.resolution,
            "created-at": iso(case.created_at),
            "updated-at": iso(case.updated_at),
            "assigned-at": iso(case.assigned_at),
            "resolved-at": iso(case.resolved_at),
            "redacted-at": iso(case.redacted_at),
            "sla-expires-at": iso(case.sla_expires_at),
            "creator-id": case.creator_id,
            "creator-type": case.creator_type,
            "assignee-id": case.assignee_id,
            "assigner-id": case.assigner_id,
            "assigner-type": case.assigner_type,
            "resolver-id": case.resolver_id,
            "resolver-type": case.resolver_type,
            "updater-id": case.updater_id,
            "updater-type": case.updater_type,
            "tags": list(case.tags or []),
            "fields": {} if case.redacted_at else case.fields,
            "attachments": [],
        },
        {
            **{name: {"data": items} for name, items in held.items()},
            "case-comments": {"data": comments},
            "case-template": ref("case-template", case.case_template_id),
            "case-queue": {"data": None},
            "txns": {"data": []},
        },
    )


def render_template(template: CaseTemplate) -> dict[str, Any]:
    return resource(
        "case-template",
        template.id,
        {
            "status": template.status,
            "name": template.name,
            "resolutions": list(template.resolutions or []),
            "created-at": iso(template.created_at),
            "updated-at": iso(template.updated_at),
            "archived-at": iso(template.archived_at),
            "field-schemas": [],
        },
    )


def render_comment(comment: CaseComment) -> dict[str, Any]:
    return resource(
        "case-comment",
        comment.id,
        {
            "message": comment.message or "",
            "created-at": iso(comment.created_at),
            "updated-at": iso(comment.updated_at),
            "commenter-id": comment.commenter_id or "",
            "commenter-type": comment.commenter_type or "",
        },
    )
