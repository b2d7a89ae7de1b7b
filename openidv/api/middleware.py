"""ASGI middleware for `/api/v1`: Request-Id, authentication, rate limit, Idempotency-Key, headers.

Authentication and rate limiting run first, so 401 and 429 answers are never stored for replay.
"""

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.api import idempotency
from openidv.api.context import ApiContext
from openidv.auth import service as auth_service
from openidv.kit import versions
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError
from openidv.kit.ids import new_id
from openidv.kit.inflection import parse_inflection
from openidv.kit.jsonapi import parse_json
from openidv.kit.ratelimit import FixedWindow
from openidv.models import ApiKey, Environment, IdempotencyRecord

log = logging.getLogger("openidv.api")
API_PREFIX = "/api/v1"
UNAUTHENTICATED = {"/api/v1/openapi.json", "/api/v1/docs"}
T = TypeVar("T")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def error_response(error: ApiError) -> tuple[int, bytes, dict[str, str]]:
    return error.status, json.dumps(error.body()).encode(), error.headers


class ApiMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: FixedWindow, max_body_bytes: int) -> None:
        self.app = app
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) or scope["path"] in UNAUTHENTICATED:
            await self.app(scope, receive, send)
            return
        request_id = new_id("req")
        extra = {"Request-Id": request_id}
        try:
            body = await self._read_body(receive)
            ctx = await self._authenticate(scope, request_id, extra)
        except ApiError as error:
            await self._send(send, *error_response(error), extra)  # error_response carries the error's own headers
            return

        headers = _headers(scope)
        if "json" in headers.get("content-type", "json") or not headers.get("content-type"):
            try:
                ctx.body = parse_json(body)
            except ApiError as error:
                await self._send(send, *error_response(error), extra)
                return

        key = headers.get("idempotency-key") if scope["method"] == "POST" else None
        digest = None
        if key:
            if len(key) > idempotency.MAX_KEY_LENGTH:
                refusal = ApiError(400, f"Idempotency-Key must be at most {idempotency.MAX_KEY_LENGTH} characters")
                await self._send(send, *error_response(refusal), extra)
                return
            digest = idempotency.request_hash(scope["method"], scope["path"], scope.get("query_string", b"").decode(), body)
            # Claim the key before running, so a retry arriving while the first request runs cannot run twice.
            taken = await self._run_sync(scope, self._reserve_idempotent, ctx.environment_id, key, digest)
            if taken is not None:
                if taken.request_hash != digest:
                    refusal = ApiError(409, "Idempotency-Key was already used with different request parameters", title="Conflict")
                    await self._send(send, *error_response(refusal), extra)
                elif taken.status_code == idempotency.IN_PROGRESS:
                    refusal = ApiError(409, "A request with this Idempotency-Key is still in progress", title="Conflict")
                    await self._send(send, *error_response(refusal), extra)
                else:
                    await self._send(send, taken.status_code, taken.body, {**extra, "Idempotent-Replayed": "true"})
                return

        scope.setdefault("state", {})["api"] = ctx
        scope["state"]["raw_body"] = body

        captured: dict[str, Any] = {"status": 500, "body": b""}

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
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            if digest:  # nothing to replay: free the key for a retry
                await self._run_sync(scope, self._release_idempotent, ctx.environment_id, key)
            raise
        if digest:
            await self._run_sync(scope, self._store_idempotent, ctx.environment_id, key, captured["status"], captured["body"])

    async def _read_body(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise ApiError(413, f"Request body is larger than {self.max_body_bytes} bytes", title="Payload Too Large")
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

    @staticmethod
    def _reserve_idempotent(state: State, environment_id: str, key: str, digest: str) -> IdempotencyRecord | None:
        with transaction(state.writer) as session:
            record = idempotency.reserve(session, environment_id, key, digest)
            if record is not None:
                session.expunge(record)
            return record

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


def _query_items(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
