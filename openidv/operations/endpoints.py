"""`/healthz` (the process answers), `/readyz` (database, migrations, storage) and `/metrics` (Prometheus).

None needs an API key and none says anything personal or secret. `/metrics` answers loopback clients, and
others presenting `Authorization: Bearer <OPENIDV_METRICS_TOKEN>`: behind a proxy on the same host, uvicorn
takes the client's address from the proxy's `X-Forwarded-For`, so a proxied scrape needs the token too."""

import hmac
from concurrent.futures import ThreadPoolExecutor, TimeoutError as ProbeTimeout
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from openidv import __version__
from openidv.kit import file_links
from openidv.kit.errors import ApiError
from openidv.operations import health, metrics

router = APIRouter(include_in_schema=False)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers (no database: a busy database must not get the process restarted)."""
    return {"status": "ok", "version": __version__}


READY_SECONDS = 5.0  # a load balancer's probe must get an answer, even from a database host that drops packets


@cache
def _probes() -> ThreadPoolExecutor:
    """Two threads for the checks: a hung database or store holds at most these, later probes time out too."""
    return ThreadPoolExecutor(2, thread_name_prefix="openidv-readyz")


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when this process can serve: the database answers and is migrated, and the storage takes a file; else
    503 saying which check failed, or that the checks did not finish within READY_SECONDS."""
    state = request.app.state
    probe = _probes().submit(health.readiness, state.engine, file_links.Files.store)  # the store requests use
    try:
        checks = probe.result(timeout=READY_SECONDS)
    except ProbeTimeout:
        late = {"status": "fail", "checks": {}, "failed": ["timeout"],
                "detail": f"the database and storage checks did not finish within {READY_SECONDS:g} s"}
        return JSONResponse(late, status_code=503, headers={"Cache-Control": "no-store"})
    ready = all(check.status == "ok" for check in checks)
    body: dict[str, object] = {"status": "ok" if ready else "fail", "checks": {check.name: check.as_json() for check in checks}}
    if not ready:
        body["failed"] = [check.name for check in checks if check.status != "ok"]
    return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


@router.get("/metrics")
def prometheus_metrics(request: Request) -> Response:
    if not _may_scrape(request, request.app.state.settings.metrics_token):
        raise ApiError(403, "Metrics are served to loopback clients, or with the bearer token OPENIDV_METRICS_TOKEN", title="Forbidden")
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _may_scrape(request: Request, token: str | None) -> bool:
    if request.client is not None and request.client.host in LOOPBACK:
        return True
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
