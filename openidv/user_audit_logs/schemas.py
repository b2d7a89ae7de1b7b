"""The user audit log resource. Persona describes the dashboard request (path, method, parameters); openidv
keeps the action itself, so the path is the dashboard route that performs it, the parameters are not kept
(`get-params`/`post-params` are empty) and `context` carries what was done: the action, its object, the
status before and after and the sealed detail (a reviewer's comment, tag names, a version id)."""

from collections.abc import Iterable
from typing import Any

from openidv.kit.clock import iso
from openidv.kit.jsonapi import ref, resource
from openidv.models import AuditLog

HOME = "/dashboard"


def dashboard_path(log: AuditLog) -> str:
    """The dashboard route of the action (`openidv.dashboard.endpoints`)."""
    action, obj, detail = log.action, log.object_id or "", log.detail or ""
    routes = {
        "template.new-version": f"{HOME}/templates/{obj}/versions",
        "template.publish": f"{HOME}/templates/{obj}/versions/{detail}/publish",
        "inquiry.create": f"{HOME}/templates/{detail}/inquiries",
        "api-key.create": f"{HOME}/api-keys",
        "api-key.revoke": f"{HOME}/api-keys/{obj}/revoke",
        "totp.enable": f"{HOME}/security/totp",
        "totp.disable": f"{HOME}/security/totp",
    }
    if action in routes:
        return routes[action]
    return f"{HOME}/inquiries/{obj}/{action}" if "." not in action and obj else HOME  # the inquiry actions


def render_user_audit_log(log: AuditLog) -> dict[str, Any]:
    context: dict[str, Any] = {
        "action": log.action, "object-id": log.object_id, "status-before": log.before_status,
        "status-after": log.after_status, "detail": log.detail, "user-email-address": log.user_email,
    }
    if log.action == "inquiry.create" and log.object_id:
        context["inquiry-id"] = log.object_id
    attributes = {
        "path": dashboard_path(log), "method": "POST", "get-params": {}, "post-params": {},
        "created-at": iso(log.created_at), "impersonator-email-address": None, "context": context,
    }
    return resource("user-audit-log", log.id, attributes, {"user": ref("user", log.user_id)})


def render_users(logs: Iterable[AuditLog]) -> list[dict[str, Any]]:
    """The users behind the rows, as the audit log recorded them (their email address at the time)."""
    users: dict[str, str] = {}
    for log in logs:
        users.setdefault(log.user_id, log.user_email)
    return [resource("user", user_id, {"email-address": email}) for user_id, email in users.items()]
