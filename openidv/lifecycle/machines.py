"""Transition tables as data: resource -> {(from status, action): Move}. Read top to bottom.

`None` as the from-status is creation. A move with `to=None` keeps the status and only records its
event. `stamp` names the `*_at` column the move sets.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    to: str | None
    events: tuple[str, ...] = ()
    stamp: str | None = None


INQUIRY_STATUSES = ("created", "pending", "completed", "failed", "expired", "needs_review", "approved", "declined")
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

VERIFICATION_STATUSES = ("initiated", "submitted", "confirmed", "passed", "failed", "requires_retry", "canceled")

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

DOCUMENT_STATUSES = ("initiated", "submitted", "processed", "errored")

# Documents (COMPAT.md 4.3): files attachable while initiated; processing reads them once.
DOCUMENT: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("initiated", ("document.created",)),
    ("initiated", "update"): Move(None),
    ("initiated", "submit"): Move("submitted", ("document.submitted",), "submitted_at"),
    ("submitted", "process"): Move("processed", ("document.processed",), "processed_at"),
    ("submitted", "error"): Move("errored", ("document.errored",), "processed_at"),
}

SESSION_STATUSES = ("new", "active", "expired")

INQUIRY_SESSION: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("new"),
    ("new", "start"): Move("active", ("inquiry-session.started",), "started_at"),
    ("new", "expire"): Move("expired", ("inquiry-session.expired",), "expired_at"),
    ("active", "expire"): Move("expired", ("inquiry-session.expired",), "expired_at"),
    ("new", "cancel"): Move(None, ("inquiry-session.canceled",)),
    ("active", "cancel"): Move(None, ("inquiry-session.canceled",)),
}

# Templates: versions are drafts until published (then immutable); templates are active or inactive.
INQUIRY_TEMPLATE_VERSION: dict[tuple[str | None, str], Move] = {
    ("draft", "publish"): Move("published", (), "published_at"),
}

INQUIRY_TEMPLATE: dict[tuple[str | None, str], Move] = {
    ("active", "deactivate"): Move("inactive"),
    ("inactive", "activate"): Move("active"),
}

# Accounts: live until consolidated into another account, then archived. Their free-form `account-status`
# attribute is the business's own label, not this. Redaction stamps `redacted_at` and leaves the status.
ACCOUNT_STATUSES = ("active", "archived")

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

REPORT_STATUSES = ("pending", "ready", "errored")


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

WEBHOOK_STATUSES = ("enabled", "disabled", "archived")

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
WEBHOOK_DELIVERY: dict[tuple[str | None, str], Move] = {
    (None, "create"): Move("pending"),
    ("pending", "succeed"): Move("succeeded", (), "succeeded_at"),
    ("pending", "fail"): Move("failed", (), "failed_at"),
    ("pending", "cancel"): Move("canceled", (), "canceled_at"),
    **{(s, "redeliver"): Move("pending") for s in ("pending", "succeeded", "failed", "canceled")},
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
}
