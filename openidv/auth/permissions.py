"""Persona's permission names (COMPAT.md §2.1)."""

ALL = (
    "account.read", "account.write", "api_log.read", "api_key.read", "api_key.write", "case.read", "case.write",
    "document.read", "document.write", "event.read", "inquiry.read", "inquiry.write", "list.read", "list.write",
    "report.read", "report.write", "txn.read", "txn.write", "user_audit_log.read", "verification.read",
    "verification.write", "webhook.read", "webhook.write", "workflow.trigger",
)
# `api_key.scim` exists in Persona but is off unless asked for.
OPTIONAL = ("api_key.scim",)
KNOWN = ALL + OPTIONAL
