"""HTTP for the API reference: the Swagger UI page at /api/v1/docs, with its assets under /api-reference/static
(shipped in the package: nothing is loaded from another host), and /api/v1/redoc sending old links there.

Neither needs an API key (the API middleware lets both paths through); "Authorize" on the page takes one,
which the page then sends as `Authorization: Bearer <key>` with "Try it out"."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
ASSETS = "/api-reference/static"  # where wiring.PAGES mounts STATIC
DOCS = "/api/v1/docs"
OPENAPI = "/api/v1/openapi.json"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>openidv API reference</title>
  <link rel="stylesheet" href="{assets}/swagger-ui/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui"><noscript>The API reference needs JavaScript. The OpenAPI document itself is at <a href="{openapi}">{openapi}</a>.</noscript></main>
  <script src="{assets}/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="{assets}/reference.js" data-openapi="{openapi}"></script>
</body>
</html>
"""


@router.get(DOCS)
def reference_page() -> HTMLResponse:
    return HTMLResponse(PAGE.format(assets=ASSETS, openapi=OPENAPI))


@router.get("/api/v1/redoc")
def redoc() -> RedirectResponse:
    """The one reference is /api/v1/docs: a ReDoc link, as FastAPI's defaults make, lands there."""
    return RedirectResponse(DOCS, status_code=308)
