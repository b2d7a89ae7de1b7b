"""Builds the FastAPI app: database, routers, middleware, error handling, and what runs beside it."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openidv import __version__
from openidv.accounts.endpoints import router as accounts_router
from openidv.api.middleware import ApiMiddleware
from openidv.config import Settings, bootstrap
from openidv.dashboard.endpoints import STATIC as DASHBOARD_STATIC
from openidv.dashboard.endpoints import router as dashboard_router
from openidv.events.endpoints import router as events_router
from openidv.flow.endpoints import STATIC as FLOW_STATIC
from openidv.flow.endpoints import router as flow_router
from openidv.inquiries.endpoints import router as inquiries_router
from openidv.inquiry_sessions.endpoints import router as sessions_router
from openidv.inquiry_templates.endpoints import router as templates_router
from openidv.kit.db import make_engine, session_factory
from openidv.kit.errors import ApiError
from openidv.kit.ratelimit import FixedWindow
from openidv.verifications.endpoints import router as verifications_router
from openidv.verifications.typed_endpoints import router as typed_verifications_router

log = logging.getLogger("openidv")
API = "/api/v1"


def _error(status: int, details: str | None = None, title: str | None = None) -> JSONResponse:
    return JSONResponse(ApiError(status, details, title=title).body(), status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = bootstrap(settings or Settings())
    engine = make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size)

    from openidv.jobs import runtime as jobs_runtime  # noqa: PLC0415
    from openidv.webhooks.delivery import configure as configure_webhooks  # noqa: PLC0415

    configure_webhooks(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        worker = jobs_runtime.worker_for(settings, app.state.writer) if settings.embedded_worker else None
        jobs_runtime.configure(app.state.writer)
        if worker:
            worker.start()
        yield
        if worker:
            worker.stop()
        engine.dispose()

    app = FastAPI(
        title="openidv API",
        version=__version__,
        description="Persona-compatible identity verification API. See the README for openidv's extensions.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.reader = session_factory(engine)
    app.state.writer = session_factory(engine, writer=True)
    app.add_middleware(ApiMiddleware, limiter=FixedWindow(settings.rate_limit_per_minute), max_body_bytes=settings.max_body_bytes)

    for router in (inquiries_router, accounts_router, sessions_router, templates_router, events_router, verifications_router, typed_verifications_router):
        app.include_router(router, prefix=API)
    from openidv.reports.endpoints import router as reports_router  # noqa: PLC0415
    from openidv.webhooks.endpoints import router as webhooks_router  # noqa: PLC0415

    app.include_router(reports_router, prefix=API)
    app.include_router(webhooks_router, prefix=API)
    app.include_router(__import__("openidv.verifications.government_id_endpoints", fromlist=["router"]).router, prefix=API)
    app.include_router(__import__("openidv.documents.endpoints", fromlist=["router"]).router, prefix=API)
    app.include_router(__import__("openidv.verifications.document_endpoints", fromlist=["router"]).router, prefix=API)
    app.include_router(__import__("openidv.verifications.selfie_endpoints", fromlist=["router"]).router, prefix=API)
    app.include_router(flow_router)  # /verify, /widget, /preload, /flow/*
    app.mount("/flow/static", StaticFiles(directory=FLOW_STATIC), name="flow-static")
    app.include_router(dashboard_router)  # /dashboard/*
    app.mount("/dashboard/static", StaticFiles(directory=DASHBOARD_STATIC), name="dashboard-static")

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

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

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
