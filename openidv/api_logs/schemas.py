"""The API log resource. No bodies and no query values: `get-params` names the parameters sent, each
`[FILTERED]`; `post-params` is never kept; the Authorization header is shown as the key's last characters."""

from typing import Any

from openidv.kit.clock import iso
from openidv.kit.jsonapi import resource
from openidv.models import ApiLog

FILTERED = "[FILTERED]"


def render_api_log(log: ApiLog, *, detailed: bool = False) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": log.method,
        "path": log.path,
        "get-params": {name: FILTERED for name in log.parameter_names},
        "ip-address": log.ip_address,
    }
    if detailed:  # the retrieve answer: the request's headers, the key named by its id (never the secret)
        headers = {"Authorization": f"Bearer [FILTERED] {log.api_key_id}", "User-Agent": log.user_agent, "Persona-Version": log.persona_version}
        request["headers"] = {name: value for name, value in headers.items() if value}
    return resource("api-log", log.id, {"request": request, "response": {"status": log.status}, "created-at": iso(log.created_at), "redacted-at": None})
