"""ASGI middleware for `/api/v1`: Request-Id, authentication, rate limit, Idempotency-Key, headers.

Authentication and rate limiting run first, from the headers alone, before the body is read (then counted
against the limit as it streams); so 401 and 429 answers are never stored for replay, and an anonymous caller
costs nothing. An Idempotency-Key replay comes after the route's permission check and only to the API key that
made the original (`openidv.api.idempotency`). Signed file links pass without an API key.
"""

import json
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.api import idempotency
from openidv.api.context import ApiContext, end_session
from openidv.auth import service as auth_service
from openidv.kit import body_budget, versions
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError
from openidv.kit.ids import new_id
from openidv.kit.inflection import parse_inflection
from openidv.kit.jsonapi import parse_json
from openidv.kit.ratelimit import FixedWindow
from openidv.models import ApiKey, Environment

log = logging.getLogger("openidv.api")
API_PREFIX = "/api/v1"
UNAUTHENTICATED = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/redoc"}  # the API reference (openidv.api_reference)
# Signed file links (openidv.kit.file_links): verification photos and document files.
SIGNED_LINK = re.compile(r"^/api/v1/(document-files/[^/]+|verification/[^/]+/[^/]+/[^/]+-photo)$")
TOKEN_PARAMETERS = {"access_token"}
SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


class ApiLog(Protocol):
    """Where each authenticated request's log row goes (`openidv.api_logs.service`, given by the app)."""

    def keep(self, row: dict[str, Any]) -> bool: ...  # no I/O; True when a flush is due

    def flush(self, writer: Any) -> int: ...


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def error_response(error: ApiError) -> tuple[int, bytes, dict[str, str]]:
    return error.status, json.dumps(error.body()).encode(), error.headers


class ApiMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: FixedWindow, max_body_bytes: int, api_log: ApiLog | None = None) -> None:
        self.app = app
        self.api_log = api_log
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) or scope["path"] in UNAUTHENTICATED:
            await self.app(scope, receive, send)
            return
        request_id = new_id("req")
        extra = {"Request-Id": request_id}
        try:
            _check_query(scope)
            if scope["method"] in ("GET", "HEAD") and SIGNED_LINK.match(scope["path"]):
                # Signed file links carry their own authorization (`access_token`), no API key (README).
                await self.app(scope, receive, _with_headers(send, extra))
                return
            # The key is checked from the headers alone, before a byte of the body is read: an anonymous
            # caller costs nothing (the body is left unread; the server closes the connection after the answer).
            ctx = await self._authenticate(scope, request_id, extra)
        except ApiError as error:
            await self._send(send, *error_response(error), extra)  # error_response carries the error's own headers
            return
        hold = body_budget.Hold()
        status = 500
        try:
            status = await self._serve(scope, receive, send, ctx, hold, extra)
        finally:
            hold.release()  # the body's bytes go back to the process's budget once the request is answered
            if self.api_log is not None:  # after the answer left: kept in memory, written in batches
                if self.api_log.keep(_log_row(scope, ctx, status)):
                    await self._run_sync(scope, self._flush_log)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, ctx: ApiContext, hold: body_budget.Hold, extra: dict[str, str]) -> int:
        """Answer the request; returns the status sent."""
        try:
            body = await self._read_body(scope, receive, hold)
        except ApiError as error:
            await self._send(send, *error_response(error), extra)
            return error.status

        headers = _headers(scope)
        if "json" in headers.get("content-type", "json") or not headers.get("content-type"):
            try:
                ctx.body = parse_json(body)
                _refuse_lone_surrogates(ctx.body)
            except ApiError as error:
                await self._send(send, *error_response(error), extra)
                return error.status

        key = headers.get("idempotency-key") if scope["method"] == "POST" else None
        if key and len(key) > idempotency.MAX_KEY_LENGTH:
            refusal = ApiError(400, f"Idempotency-Key must be at most {idempotency.MAX_KEY_LENGTH} characters")
            await self._send(send, *error_response(refusal), extra)
            return refusal.status
        digest = None
        if key:  # claimed (or replayed) by the route's `Permission`, once the key's permission is checked
            digest = idempotency.request_hash(scope["method"], scope["path"], scope.get("query_string", b"").decode(), body)
            ctx.idempotency_request = (key, digest)

        scope.setdefault("state", {})["api"] = ctx
        scope["state"]["raw_body"] = body

        captured: dict[str, Any] = {"status": 500, "body": b""}
        held: list[Message] = []  # an idempotent answer leaves only once it is stored

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                raw = list(message.get("headers", []))
                raw += [(k.encode(), v.encode()) for k, v in extra.items()]
                message = {**message, "headers": raw}
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            if digest:
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await end_session(ctx)  # first: its transaction may hold SQLite's write lock, which the release needs
            if ctx.idempotency_key:  # nothing to replay: free the key for a retry
                await self._run_sync(scope, self._release_idempotent, ctx.environment_id, ctx.idempotency_key)
            raise
        await end_session(ctx)
        key = ctx.idempotency_key
        if key and not ctx.idempotency_stored:
            if captured["status"] >= 500:  # the server's trouble, not the request's answer: a retry runs again
                await self._run_sync(scope, self._release_idempotent, ctx.environment_id, key)
            else:
                await self._run_sync(scope, self._store_idempotent, ctx.environment_id, key, captured["status"], captured["body"])
        for message in held:
            await send(message)
        return int(captured["status"])

    async def _read_body(self, scope: Scope, receive: Receive, hold: body_budget.Hold) -> bytes:
        """The body, counted as it arrives: past the limit reading stops with 413, whatever Content-Length said
        (a chunked body has none)."""
        declared = _headers(scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ApiError(400, "The client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)
            try:
                hold.add(len(chunk))
            except body_budget.Exhausted:
                raise ApiError(503, "The server is holding as many request bodies as it may; retry shortly",
                               title="Service Unavailable", headers={"Retry-After": "2"}) from None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _authenticate(self, scope: Scope, request_id: str, extra: dict[str, str]) -> ApiContext:
        headers = _headers(scope)
        authorization = headers.get("authorization")
        found = auth_service.recent_key(authorization)
        if found is None:
            found = await self._run_sync(scope, self._lookup_key, authorization)
            auth_service.remember_key(authorization, *found)
        key, environment = found
        client = scope.get("client")
        if not auth_service.ip_allowed(key, client[0] if client else ""):
            raise ApiError(401, title="IP address not allowed for this API key")
        extra["Persona-Environment-Id"] = environment.id
        extra["Persona-Organization-Id"] = environment.organization_id
        verdict = self.limiter.hit(environment.id)
        extra.update({"RateLimit-Limit": str(verdict.limit), "RateLimit-Remaining": str(verdict.remaining), "RateLimit-Reset": str(verdict.reset_seconds)})
        if not verdict.allowed:
            raise ApiError(429, "Too many requests for this environment; retry after the reset", headers={"Retry-After": str(verdict.reset_seconds)})
        version = versions.resolve(headers.get("persona-version"), key.api_version)
        inflection = parse_inflection(headers.get("key-inflection") or key.inflection)
        items = _query_items(scope)
        return ApiContext(
            environment=environment, api_key=key, version=version, inflection=inflection, request_id=request_id, query=dict(items), query_items=items
        )

    @staticmethod
    async def _run_sync(scope: Scope, fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, scope["app"].state, *args)

    @staticmethod
    def _lookup_key(state: State, authorization: str | None) -> tuple[ApiKey, Environment]:
        with transaction(state.reader) as session:
            key, environment = auth_service.authenticate(session, authorization)
            session.expunge_all()
            return key, environment

    def _flush_log(self, state: State) -> None:
        assert self.api_log is not None
        try:
            self.api_log.flush(state.writer)
        except Exception:  # the log must never turn an answered request into an error
            log.exception("could not write the API log")

    @staticmethod
    def _store_idempotent(state: State, environment_id: str, key: str, status: int, body: bytes) -> None:
        with transaction(state.writer) as session:
            idempotency.complete(session, environment_id, key, status, body)

    @staticmethod
    def _release_idempotent(state: State, environment_id: str, key: str) -> None:
        with transaction(state.writer) as session:
            idempotency.release(session, environment_id, key)

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, *header_sets: dict[str, str]) -> None:
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(k.encode(), v.encode()) for headers in header_sets for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def _log_row(scope: Scope, ctx: ApiContext, status: int) -> dict[str, Any]:
    """The API log's row: no body, no query values, no secret; parameter names only."""
    headers = _headers(scope)
    client = scope.get("client")
    names = sorted({name[:100] for name, _ in ctx.query_items})[:50]
    return {
        "id": ctx.request_id, "environment_id": ctx.environment_id, "api_key_id": ctx.api_key.id, "method": scope["method"][:10],
        "path": scope["path"][:500], "parameter_names": names, "status": status, "ip_address": (client[0] if client else "")[:64],
        "user_agent": headers.get("user-agent", "")[:300], "persona_version": headers.get("persona-version", "")[:20], "created_at": now(),
    }


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request body is larger than {limit} bytes", title="Payload Too Large")


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *((k.encode(), v.encode()) for k, v in extra.items())]}
        await send(message)

    return sending


def _check_query(scope: Scope) -> None:
    """Tokens in the query are ASCII: `access_token=٣٤` (Arabic-Indic digits) is a malformed token, 400."""
    for name, value in _query_items(scope):
        if name in TOKEN_PARAMETERS and not value.isascii():
            raise ApiError(400, f"{name} is malformed: it must be ASCII")


def _refuse_lone_surrogates(value: Any, where: str = "") -> None:
    """JSON's `\\ud800` escapes make strings no UTF-8 can hold: 400 here rather than 500 wherever they are written."""
    if isinstance(value, str):
        if SURROGATE.search(value):
            raise ApiError(400, f"{where or 'body'}: invalid Unicode (a lone surrogate)")
    elif isinstance(value, dict):
        for name, item in value.items():
            _refuse_lone_surrogates(name, where)
            _refuse_lone_surrogates(item, f"{where}.{name}" if where else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_lone_surrogates(item, f"{where}[{index}]")


def _query_items(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
