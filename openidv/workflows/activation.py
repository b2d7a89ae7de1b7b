"""What a workflow's conditions read: the run's object and what relates to it, as plain CEL values.

    inquiry        {id, status, reference_id, tags, template_id, fields: {key: value}, created_at, completed_at, ...} or null
    verifications  [{id, type, status, checks: [{name, status, reasons}]}]
    reports        [{id, type, status, has_match}] the inquiry's reports
    report         the report this run ordered last (run-report), or null
    account        {id, reference_id, tags, fields} or null
    trigger        {event, object_type, object_id} or the API trigger's {fields}
    steps          {step name: its outcome} for the steps done so far
"""

from typing import Any

from sqlalchemy.orm import Session

from openidv.inquiries import repository as inquiries
from openidv.kit import fields as typed_fields
from openidv.models import Account, Inquiry, Report
from openidv.reports import repository as reports
from openidv.verifications import repository as verifications


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: typed_fields.value_of(values, key) for key in values}


def report_values(report: Report) -> dict[str, Any]:
    return {"id": report.id, "type": f"report/{report.kind}", "status": report.status, "has_match": report.has_match}


def inquiry_values(inquiry: Inquiry) -> dict[str, Any]:
    return {"id": inquiry.id, "status": inquiry.status, "reference_id": inquiry.reference_id, "tags": list(inquiry.tags),
            "template_id": inquiry.template_id, "template_version_id": inquiry.template_version_id, "account_id": inquiry.account_id,
            "fields": _plain(inquiry.fields), "created_at": _when(inquiry.created_at), "completed_at": _when(inquiry.completed_at),
            "failed_at": _when(inquiry.failed_at)}


def build(session: Session, environment_id: str, object_type: str | None, object_id: str | None, *, trigger: dict[str, Any],
          steps: dict[str, Any], report_id: str | None = None) -> dict[str, Any]:
    inquiry = inquiries.get(session, environment_id, object_id) if object_type == "inquiry" and object_id else None
    account = session.get(Account, inquiry.account_id) if inquiry is not None and inquiry.account_id else None
    if object_type == "account" and object_id:
        account = session.get(Account, object_id)
    report = session.get(Report, report_id) if report_id else None
    return {
        "inquiry": inquiry_values(inquiry) if inquiry is not None else None,
        "verifications": [{"id": v.id, "type": f"verification/{v.kind}", "status": v.status,
                           "checks": [{"name": c.get("name"), "status": c.get("status"), "reasons": list(c.get("reasons") or [])} for c in v.checks]}
                          for v in verifications.of_inquiry(session, inquiry.id)] if inquiry is not None else [],
        "reports": [report_values(r) for r in reports.of_inquiry(session, inquiry.id)] if inquiry is not None else [],
        "report": report_values(report) if report is not None else None,
        "account": {"id": account.id, "reference_id": account.reference_id, "tags": list(account.tags), "fields": _plain(account.fields)}
        if account is not None and account.environment_id == environment_id else None,
        "trigger": trigger,
        "steps": steps,
        "case": None,
    }
