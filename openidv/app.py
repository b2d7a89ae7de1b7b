"""Builds the FastAPI app: database, routers, middleware, error handling, and what runs beside it."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from openidv import __version__, wiring
from openidv.api.context import Replayed
from openidv.api.middleware import ApiMiddleware
from openidv.api_reference import document as api_reference
from openidv.config import Settings
from openidv.jobs import runtime as jobs_runtime
from openidv.kit.db import make_engine, session_factory
from openidv.kit.errors import ApiError
from openidv.kit.ratelimit import FixedWindow
from openidv.operations import metrics
from openidv.operations.middleware import OperationsMiddleware

log = logging.getLogger("openidv")
API = "/api/v1"


def _error(status: int, details: str | None = None, title: str | None = None) -> JSONResponse:
    return JSONResponse(ApiError(status, details, title=title).body(), status_code=status)


async def _flush_api_log(app: FastAPI) -> None:
    """Rows kept by the API middleware reach the database within a second, even when requests stop."""
    while True:
        await asyncio.sleep(1.0)
        if wiring.API_LOG.due():
            try:
                await run_in_threadpool(wiring.API_LOG.flush, app.state.writer)
            except Exception:
                logging.getLogger("openidv.api").exception("could not write the API log")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = wiring.install(settings)
    engine = make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size, sqlite_synchronous=settings.sqlite_synchronous)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = jobs_runtime.worker_for(settings, app.state.writer, embedded=True) if settings.embedded_worker else None
        jobs_runtime.configure(app.state.writer)
        if worker:
            worker.start()
        flusher = asyncio.create_task(_flush_api_log(app))
        yield
        flusher.cancel()
        await run_in_threadpool(wiring.API_LOG.flush, app.state.writer)
        if worker:
            worker.stop(grace=settings.shutdown_grace_seconds)  # unfinished jobs' leases are released
        engine.dispose()

    app = FastAPI(
        title="openidv API",
        version=__version__,
        description="Persona-compatible identity verification API. See the README for openidv's extensions.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # the API reference page is openidv.api_reference's, with its assets shipped (wiring.PAGES)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.reader = session_factory(engine)
    app.state.writer = session_factory(engine, writer=True)
    app.add_middleware(ApiMiddleware, limiter=FixedWindow(settings.rate_limit_per_minute), max_body_bytes=settings.max_body_bytes,
                       api_log=wiring.API_LOG)
    app.add_middleware(OperationsMiddleware, access_log=settings.log_format == "json")  # outermost: request id, latency
    metrics.watch_jobs(engine)

    for router in wiring.API_ROUTERS:
        app.include_router(router, prefix=API)
    for router in wiring.OPERATIONS:
        app.include_router(router)
    for router, path, folder, name in wiring.PAGES:
        app.include_router(router)
        app.mount(path, StaticFiles(directory=folder), name=name)
    for router in wiring.DASHBOARD:
        app.include_router(router)
    path, folder, name = wiring.DASHBOARD_STATIC
    app.mount(path, StaticFiles(directory=folder), name=name)
    # /api/v1/openapi.json: Persona's operation objects for what openidv serves, FastAPI's for its extensions (built once).
    app.openapi = partial(api_reference.openapi, app)  # type: ignore[method-assign]

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(Replayed)
    async def replayed(_: Request, exc: Replayed) -> Response:
        return Response(exc.body, status_code=exc.status, media_type="application/json", headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, f"No route matches {request.method} {request.url.path}")
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
        return _error(409, "The record conflicts with an existing one", title="Record not unique")

    @app.exception_handler(OperationalError)
    async def operational_error(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return _error(503, "The database is busy; retry shortly")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse({"errors": [{"title": "Internal Server Error", "details": "An unexpected error occurred"}]}, status_code=500)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{API}/docs")

    return app
