"""The outermost ASGI middleware: every HTTP request gets an id (a well-formed incoming `X-Request-Id`, else a
new one), answered in `X-Request-Id` and carried by the log records emitted while it is handled; its
latency is observed by route template and status. With JSON logs, one access line per request (method,
route template, path without its query, status, milliseconds).

Kept small: it runs for every request (bench/api.py measures the API's throughput through it)."""

import itertools
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.operations import metrics
from openidv.operations.logs import REQUEST_ID

access_log = logging.getLogger("openidv.access")
WELL_FORMED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
UNMATCHED = "<unmatched>"  # no route took it (a 404, or an API request refused before routing)
# Request ids: this process's random prefix and a counter, unique without a system call per request (they
# identify, they authorise nothing).
_PREFIX = secrets.token_hex(8)
_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_PREFIX}{next(_COUNTER):08x}"


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if WELL_FORMED.fullmatch(text) else None
    return None


def route_template(scope: Scope) -> str:
    """The matched route's path template, prefix included (`/api/v1/inquiries/{inquiry_id}`): FastAPI keeps
    an included router's route unprefixed in `scope["route"]` and the prefixed template in its routing context."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) else UNMATCHED


class OperationsMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or new_request_id()
        token = REQUEST_ID.set(request_id)
        header = (b"x-request-id", request_id.encode())
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe_request(scope["method"], route, status, seconds)
            if self.access_log:
                access_log.info("%s %s %d", scope["method"], route, status, extra={
                    "method": scope["method"], "route": route, "path": scope["path"], "status": status, "duration_ms": round(seconds * 1000, 2)})
            REQUEST_ID.reset(token)
