"""The per-request API context: who is calling, in which environment, and how to answer."""

import copy
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openidv.api import idempotency
from openidv.kit import versions
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError
from openidv.kit.inflection import inflect
from openidv.kit.jsonapi import apply_sparse_fields, drop_blocked_attributes, dumps, include_paths, list_body, list_links, sparse_fields
from openidv.models import ApiKey, Environment


@dataclass
class ApiContext:
    environment: Environment
    api_key: ApiKey
    version: str  # response shape: versions.V2023 or versions.V2025
    inflection: str
    request_id: str
    query: dict[str, str]
    body: Any = None
    query_items: list[tuple[str, str]] = field(default_factory=list)  # every pair, repeated keys included
    settings: Any = None  # openidv.config.Settings
    db: Session = field(default=None)  # type: ignore[assignment]
    idempotency_request: tuple[str, str] | None = None  # (Idempotency-Key, request hash) of a POST that sent one
    idempotency_key: str | None = None  # set once this request claimed its Idempotency-Key (after the permission check)
    idempotency_stored: bool = False  # respond() stored the answer in the request's own transaction

    @property
    def environment_id(self) -> str:
        return self.environment.id

    @property
    def actor(self) -> str:
        return self.api_key.id

    @property
    def include(self) -> list[str] | None:
        return include_paths(self.query)

    def render(self, resource: dict[str, Any]) -> dict[str, Any]:
        """One resource object in the caller's version, sparse fieldsets applied."""
        adapted = versions.adapt(resource, self.version)
        wanted = sparse_fields(self.query)
        return apply_sparse_fields(adapted, wanted) if wanted else adapted

    def respond_page(self, path: str, result: Any, render: Any) -> Response:
        """A list page: `render` turns each row into a resource; links keep the caller's filters."""
        items = [render(row) for row in result.items]
        first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
        return self.respond(list_body(items, list_links(path, self.query, first, last, result.has_prev, result.has_next)))

    def respond(self, document: dict[str, Any], status: int = 200) -> Response:
        """Answer with the document rendered for this caller, committing the request's unit of work first; a
        claimed Idempotency-Key's answer is stored in that same transaction (a retry never finds it in progress)."""
        out = dict(document)
        if isinstance(out.get("data"), list):
            out["data"] = [self.render(item) for item in out["data"]]
        elif isinstance(out.get("data"), dict):
            out["data"] = self.render(out["data"])
        if "included" in out:
            out["included"] = [self.render(item) for item in out["included"]]
        blocked = (self.api_key.options or {}).get("api-attributes-blocklist")
        if blocked:  # the key's own blocklist: what it may never read, whatever it asks for
            out = copy.deepcopy(out)  # rendered objects may share parts with what the service still holds
            data = out.get("data")
            for item in [*(data if isinstance(data, list) else [data] if isinstance(data, dict) else []), *out.get("included", [])]:
                drop_blocked_attributes(item, blocked)
        # From 2025-10-27 keys inside `fields` keep their own spelling.
        raw = frozenset({"fields"}) if self.version == versions.V2025 else frozenset()
        body = inflect(out, self.inflection, raw_keys_under=raw)
        content = dumps(body)
        if self.db is not None:
            if self.idempotency_key is not None:
                idempotency.complete(self.db, self.environment_id, self.idempotency_key, status, content)
                self.idempotency_stored = True
            self.db.commit()
        return Response(content, status_code=status, media_type="application/json")


def api_context(request: Request) -> ApiContext:
    ctx = getattr(request.state, "api", None)
    if ctx is None:  # the middleware sets it on every /api/v1 request
        raise ApiError(401, title="Must be authenticated to access this endpoint")
    return ctx


class Permission:
    """Dependency: the API context with a database session, after checking one permission.

    It runs on the event loop (no I/O unless an Idempotency-Key is claimed): a sync or generator dependency would
    cost each request one or two extra hops through the thread pool. The session opens no connection until the
    endpoint's first query, and `ApiMiddleware` ends it with `end_session` once the app has answered."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, request: Request) -> ApiContext:
        ctx = api_context(request)
        if self.name not in ctx.api_key.permissions:
            raise ApiError(403, f"API key does not have the {self.name} permission")
        if ctx.idempotency_request is not None and ctx.idempotency_key is None:
            await run_in_threadpool(_claim, request.app.state.writer, ctx, *ctx.idempotency_request)
        ctx.settings = request.app.state.settings
        factory = request.app.state.writer if request.method not in ("GET", "HEAD") else request.app.state.reader
        ctx.db = factory()
        return ctx


async def end_session(ctx: ApiContext) -> None:
    """Close the request's session. After respond() committed it holds no connection, so closing is plain Python;
    a transaction still open (an error, or a route that never answered through respond) is rolled back on a
    worker thread, since that talks to the database (and frees SQLite's write lock)."""
    db = ctx.db
    if db is None:
        return
    ctx.db = None  # type: ignore[assignment]
    if db.in_transaction():
        await run_in_threadpool(_roll_back_and_close, db)
    else:
        db.close()


def _roll_back_and_close(db: Session) -> None:
    try:
        db.rollback()
    finally:
        db.close()


class Replayed(Exception):
    """The stored answer of an Idempotency-Key, sent as it was (the app's handler adds `Idempotent-Replayed`)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def _claim(writer: Any, ctx: ApiContext, key: str, digest: str) -> None:
    """Claim the Idempotency-Key for this request, after the route's permission check; a key already taken
    answers its replay (only to the API key that made it) or 409 Conflict."""
    with transaction(writer) as session:
        taken = idempotency.reserve(session, ctx.environment_id, key, digest, ctx.api_key.id)
        if taken is not None:
            session.expunge(taken)
    if taken is None:
        ctx.idempotency_key = key
    elif taken.status_code == idempotency.IN_PROGRESS:
        raise ApiError(409, "A request with this Idempotency-Key is still in progress", title="Conflict")
    elif taken.api_key_id != ctx.api_key.id:
        raise ApiError(409, "Idempotency-Key was already used by another API key", title="Conflict")
    elif taken.request_hash != digest:
        raise ApiError(409, "Idempotency-Key was already used with different request parameters", title="Conflict")
    else:
        raise Replayed(taken.status_code, idempotency.body_of(taken))
