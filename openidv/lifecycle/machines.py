"""Transition tables as data: resource -> {(from status, action): Move}. Read top to bottom.

`None` as the from-status is creation. A move with `to=None` keeps the status and only records its
event. `stamp` names the `*_at` column the move sets. Each resource's statuses are a `StrEnum` (a member
equals, hashes and formats as its string: `InquiryStatus.NEEDS_REVIEW == "needs_review"`), which code outside
lifecycle compares with; the `*_STATUSES` tuple of its values is what the table below it is written with.
"""

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Move:
    to: str | None
    events: tuple[str, ...] = ()
    stamp: str | None = None


def _values(statuses: type[StrEnum]) -> tuple[str, ...]:
    """A status enum's values, in order: the plain strings the tables below are written with."""
    return tuple(status.value for status in statuses)


class InquiryStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    DECLINED = "declined"


INQUIRY_STATUSES = _values(InquiryStatus)
# Still in the person's hands: verifications can be made on it, and it can expire.
OPEN_INQUIRY_STATUSES = (InquiryStatus.CREATED, InquiryStatus.PENDING)
_NOT_DECIDED = ("created", "pending", "completed", "failed", "expired", "needs_review")

INQUIRY: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("created", ("inquiry.created",)),
    ("created", "start"): Move("pending", ("inquiry.started",), "started_at"),
    ("pending", "complete"): Move("completed", ("inquiry.completed",), "completed_at"),
    ("pending", "fail"): Move("failed", ("inquiry.failed",), "failed_at"),
    ("created", "expire"): Move("expired", ("inquiry.expired",), "expired_at"),
    ("pending", "expire"): Move("expired", ("inquiry.expired",), "expired_at"),
    ("expired", "resume"): Move("pending"),
    **{(s, "mark_for_review"): Move("needs_review", ("inquiry.marked-for-review",), "marked_for_review_at") for s in _NOT_DECIDED if s != "needs_review"},
    **{(s, "approve"): Move("approved", ("inquiry.approved",), "decisioned_at") for s in _NOT_DECIDED + ("declined",)},
    **{(s, "decline"): Move("declined", ("inquiry.declined",), "decisioned_at") for s in _NOT_DECIDED + ("approved",)},
    **{(s, "redact"): Move(None, ("inquiry.redacted",), "redacted_at") for s in INQUIRY_STATUSES},
    **{(s, "update_tags"): Move(None, ("inquiry.updated-tags",)) for s in INQUIRY_STATUSES},
    ("pending", "transition_step"): Move(None, ("inquiry.transitioned",)),
}


class VerificationStatus(StrEnum):
    INITIATED = "initiated"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    PASSED = "passed"
    FAILED = "failed"
    REQUIRES_RETRY = "requires_retry"
    CANCELED = "canceled"


VERIFICATION_STATUSES = _values(VerificationStatus)

VERIFICATION: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("initiated", ("verification.created",)),
    ("initiated", "submit"): Move("submitted", ("verification.submitted",), "submitted_at"),
    ("confirmed", "submit"): Move("submitted", ("verification.submitted",), "submitted_at"),
    ("initiated", "confirm"): Move("confirmed"),
    ("submitted", "pass"): Move("passed", ("verification.passed",), "completed_at"),
    ("submitted", "fail"): Move("failed", ("verification.failed",), "completed_at"),
    ("submitted", "require_retry"): Move("requires_retry", ("verification.requires-retry",)),
    ("initiated", "cancel"): Move("canceled", ("verification.canceled",), "canceled_at"),
    ("confirmed", "cancel"): Move("canceled", ("verification.canceled",), "canceled_at"),
    ("submitted", "cancel"): Move("canceled", ("verification.canceled",), "canceled_at"),
    **{(s, "redact"): Move(None, (), "redacted_at") for s in VERIFICATION_STATUSES},
}


class DocumentStatus(StrEnum):
    INITIATED = "initiated"
    SUBMITTED = "submitted"
    PROCESSED = "processed"
    ERRORED = "errored"


DOCUMENT_STATUSES = _values(DocumentStatus)

# Documents (COMPAT.md 4.3): files attachable while initiated; processing reads them once.
DOCUMENT: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("initiated", ("document.created",)),
    ("initiated", "update"): Move(None),
    ("initiated", "submit"): Move("submitted", ("document.submitted",), "submitted_at"),
    ("submitted", "process"): Move("processed", ("document.processed",), "processed_at"),
    ("submitted", "error"): Move("errored", ("document.errored",), "processed_at"),
}


class SessionStatus(StrEnum):
    NEW = "new"
    ACTIVE = "active"
    EXPIRED = "expired"


SESSION_STATUSES = _values(SessionStatus)

INQUIRY_SESSION: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("new"),
    ("new", "start"): Move("active", ("inquiry-session.started",), "started_at"),
    ("new", "expire"): Move("expired", ("inquiry-session.expired",), "expired_at"),
    ("active", "expire"): Move("expired", ("inquiry-session.expired",), "expired_at"),
    ("new", "cancel"): Move(None, ("inquiry-session.canceled",)),
    ("active", "cancel"): Move(None, ("inquiry-session.canceled",)),
}


# Templates: versions are drafts until published (then immutable); templates are active or inactive.
class InquiryTemplateVersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


TEMPLATE_VERSION_STATUSES = _values(InquiryTemplateVersionStatus)

INQUIRY_TEMPLATE_VERSION: dict[tuple[str | None, str], Move] = {
    ("draft", "publish"): Move("published", (), "published_at"),
}


class InquiryTemplateStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


TEMPLATE_STATUSES = _values(InquiryTemplateStatus)

INQUIRY_TEMPLATE: dict[tuple[str | None, str], Move] = {
    ("active", "deactivate"): Move("inactive"),
    ("inactive", "activate"): Move("active"),
}


# Accounts: live until consolidated into another account, then archived. Their free-form `account-status`
# attribute is the business's own label, not this. Redaction stamps `redacted_at` and leaves the status.
class AccountStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


ACCOUNT_STATUSES = _values(AccountStatus)

ACCOUNT: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("active", ("account.created",)),
    **{(s, "update_fields"): Move(None, ("account.updated-fields",)) for s in ACCOUNT_STATUSES},
    **{(s, "set_tags"): Move(None, ("account.updated-tags",)) for s in ACCOUNT_STATUSES},
    **{(s, "add_tag"): Move(None, ("account.tag-added",)) for s in ACCOUNT_STATUSES},
    **{(s, "remove_tag"): Move(None, ("account.tag-removed",)) for s in ACCOUNT_STATUSES},
    **{(s, "redact"): Move(None, ("account.redacted",), "redacted_at") for s in ACCOUNT_STATUSES},
    ("active", "consolidate"): Move("archived", ("account.consolidated", "account.archived"), "archived_at"),  # the source
    **{(s, "consolidate_with"): Move(None, ("account.consolidated-with",)) for s in ACCOUNT_STATUSES},  # the target
}


class ReportStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    ERRORED = "errored"


REPORT_STATUSES = _values(ReportStatus)


def _report(kind: str) -> dict[tuple[str | None, str], Move]:
    """Reports: screened at once, re-run on demand, on their interval or after a list update."""
    name = f"report/{kind}"
    return {
        (None, "create"): Move("pending"),
        ("pending", "complete"): Move("ready", (f"{name}.ready",), "completed_at"),
        ("pending", "complete_matched"): Move("ready", (f"{name}.ready", f"{name}.matched"), "completed_at"),
        ("pending", "error"): Move("errored", (f"{name}.errored",), "completed_at"),
        ("ready", "rerun"): Move("pending"),
        ("errored", "rerun"): Move("pending"),
        ("ready", "dismiss"): Move(None, (f"{name}.dismissed",)),
        **{(s, "update"): Move(None) for s in REPORT_STATUSES},
        **{(s, "redact"): Move(None, (), "redacted_at") for s in REPORT_STATUSES},
    }


REPORT_KINDS = ("watchlist", "politically-exposed-person")


class WebhookStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    ARCHIVED = "archived"


WEBHOOK_STATUSES = _values(WebhookStatus)

WEBHOOK: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("enabled", (), "enabled_at"),
    ("disabled", "enable"): Move("enabled", (), "enabled_at"),
    ("enabled", "enable"): Move("enabled"),
    ("enabled", "disable"): Move("disabled", (), "disabled_at"),
    ("disabled", "disable"): Move("disabled"),
    ("enabled", "archive"): Move("archived", (), "archived_at"),
    ("disabled", "archive"): Move("archived", (), "archived_at"),
}


# A delivery retries inside `pending`; manual redelivery reopens a finished one.
class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


DELIVERY_STATUSES = _values(WebhookDeliveryStatus)

WEBHOOK_DELIVERY: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("pending"),
    ("pending", "succeed"): Move("succeeded", (), "succeeded_at"),
    ("pending", "fail"): Move("failed", (), "failed_at"),
    ("pending", "cancel"): Move("canceled", (), "canceled_at"),
    **{(s, "redeliver"): Move("pending") for s in DELIVERY_STATUSES},
}


# Workflows (issue 16): a workflow is enabled or disabled; its draft version is published once, and a published
# version stays as it is (archived only when it is neither live nor wanted). A run goes step by step while
# `running`, waits for a report's result, an event or a delay in `waiting`, and ends `completed` or `errored`.
class WorkflowStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


WORKFLOW_STATUSES = _values(WorkflowStatus)

WORKFLOW: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("disabled", (), "disabled_at"),
    ("disabled", "enable"): Move("enabled", (), "enabled_at"),
    ("enabled", "disable"): Move("disabled", (), "disabled_at"),
}


class WorkflowVersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


WORKFLOW_VERSION_STATUSES = _values(WorkflowVersionStatus)

WORKFLOW_VERSION: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("draft"),
    ("draft", "publish"): Move("published", (), "published_at"),
    ("published", "archive"): Move("archived", (), "archived_at"),
}


class WorkflowRunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    ERRORED = "errored"


WORKFLOW_RUN_STATUSES = _values(WorkflowRunStatus)

WORKFLOW_RUN: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("running", ("workflow-run.created",)),
    ("running", "wait"): Move("waiting"),
    ("waiting", "resume"): Move("running", ("workflow-run.resumed",)),
    ("running", "complete"): Move("completed", (), "completed_at"),
    ("running", "error"): Move("errored", ("workflow-run.errored",), "errored_at"),
    ("waiting", "error"): Move("errored", ("workflow-run.errored",), "errored_at"),
}


class WorkflowRunStepStatus(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    SKIPPED = "skipped"
    ERRORED = "errored"


WORKFLOW_RUN_STEP_STATUSES = _values(WorkflowRunStepStatus)

# A run's trace: a step's row is written with its outcome, in the step's transaction. No events: the run's own
# (`workflow-run.*`) tell what happened; the trace is what the dashboard and the run's API answer show.
WORKFLOW_RUN_STEP: dict[tuple[str | None, str], Move] = {
    (None, "finish"): Move("done", (), "finished_at"),
    (None, "skip"): Move("skipped", (), "finished_at"),
    (None, "error"): Move("errored", (), "finished_at"),
    (None, "wait"): Move("waiting"),
    ("waiting", "finish"): Move("done", (), "finished_at"),
    ("waiting", "error"): Move("errored", (), "finished_at"),
}


# Cases (Persona's Cases API): Open and Pending while under review, then resolved with one of its template's
# resolutions (Approved, Declined), and reopened from there. The status string is Persona's, capitalised.
class CaseStatus(StrEnum):
    OPEN = "Open"
    PENDING = "Pending"
    APPROVED = "Approved"
    DECLINED = "Declined"


CASE_STATUSES = _values(CaseStatus)
UNRESOLVED_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.PENDING)
_RESOLVED = ("Approved", "Declined")

CASE: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("Open", ("case.created",)),
    ("Open", "set_pending"): Move("Pending", ("case.status-updated",)),
    ("Pending", "set_open"): Move("Open", ("case.status-updated",)),
    **{(s, "approve"): Move("Approved", ("case.status-updated", "case.resolved"), "resolved_at") for s in ("Open", "Pending")},
    **{(s, "decline"): Move("Declined", ("case.status-updated", "case.resolved"), "resolved_at") for s in ("Open", "Pending")},
    **{(s, "reopen"): Move("Open", ("case.status-updated", "case.reopened")) for s in _RESOLVED},
    **{(s, "assign"): Move(None, ("case.assigned",), "assigned_at") for s in CASE_STATUSES},
    **{(s, "update_fields"): Move(None, ("case.updated-fields",)) for s in CASE_STATUSES},
    **{(s, "update_tags"): Move(None, ("case.updated-tags",)) for s in CASE_STATUSES},
    **{(s, "update"): Move(None) for s in CASE_STATUSES},  # objects, comments, due time: no event of their own in Persona's list
    **{(s, "redact"): Move(None, ("case.redacted",), "redacted_at") for s in CASE_STATUSES},
    **{(s, "expire_sla"): Move(None, ("case.sla-expired",), "sla_expired_at") for s in ("Open", "Pending")},  # the due time passed
}

MACHINES = {
    **{f"report/{kind}": _report(kind) for kind in REPORT_KINDS},
    "inquiry": INQUIRY,
    "account": ACCOUNT,
    "verification": VERIFICATION,
    "document": DOCUMENT,
    "inquiry-session": INQUIRY_SESSION,
    "inquiry-template-version": INQUIRY_TEMPLATE_VERSION,
    "inquiry-template": INQUIRY_TEMPLATE,
    "webhook": WEBHOOK,
    "webhook-delivery": WEBHOOK_DELIVERY,
    "case": CASE,
    "workflow": WORKFLOW,
    "workflow-version": WORKFLOW_VERSION,
    "workflow-run": WORKFLOW_RUN,
    "workflow-run-step": WORKFLOW_RUN_STEP,
}

# Each machine's statuses, as the enum code outside lifecycle compares with.
STATUS_ENUMS: dict[str, type[StrEnum]] = {
    **{f"report/{kind}": ReportStatus for kind in REPORT_KINDS},
    "inquiry": InquiryStatus,
    "account": AccountStatus,
    "verification": VerificationStatus,
    "document": DocumentStatus,
    "inquiry-session": SessionStatus,
    "inquiry-template-version": InquiryTemplateVersionStatus,
    "inquiry-template": InquiryTemplateStatus,
    "webhook": WebhookStatus,
    "webhook-delivery": WebhookDeliveryStatus,
    "case": CaseStatus,
    "workflow": WorkflowStatus,
    "workflow-version": WorkflowVersionStatus,
    "workflow-run": WorkflowRunStatus,
    "workflow-run-step": WorkflowRunStepStatus,
}


def _event_names(*, creation: bool) -> frozenset[str]:
    """The events the machines' creation moves record (`creation`), or their other moves."""
    return frozenset(name for machine in MACHINES.values() for (status, _), move in machine.items()
                     if (status is None) == creation for name in move.events)


# Events only a creation records: their object was made in the recording transaction, so nothing recorded
# earlier (a workflow run waiting on that object's events, say) can be about it.
CREATION_EVENTS = _event_names(creation=True) - _event_names(creation=False)
