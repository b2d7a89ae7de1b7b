"""HTTP for the dashboard (`/dashboard`). Pages read through `reader`, actions write through `writer`;
every POST carries a CSRF token; without a session everything redirects to the sign-in form."""

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openidv.accounts import repository as accounts_repository
from openidv.auth import repository as environments_repository
from openidv.auth.permissions import ALL as ALL_PERMISSIONS
from openidv.dashboard import auth, repository, service
from openidv.flow.service import qr_svg
from openidv.inquiries import repository as inquiries_repository, service as inquiries
from openidv.inquiry_sessions.service import Secrets
from openidv.inquiry_templates import repository as templates_repository
from openidv.inquiry_templates.service import config_of
from openidv.jobs import admin as jobs_admin, registry as job_registry
from openidv.jobs.port import QUEUES
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError, not_found
from openidv.kit.jsonapi import Page

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
HOME = "/dashboard"
_jinja = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _key(request: Request) -> str:
    return request.app.state.settings.secrets["secret_key"]


def _render(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_jinja.get_template(name).render(**values), status_code=status, headers=HEADERS)


def _to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _set_session(request: Request, response: Response, value: str) -> None:
    response.set_cookie(auth.COOKIE, value, httponly=True, secure=request.url.scheme == "https", samesite="strict", path=HOME, max_age=auth.SESSION_SECONDS)


def _page(request: Request, build: Callable[[Session, auth.DashboardSession, str], tuple[str, dict[str, Any]] | Response]) -> Response:
    """A signed-in page: `build` returns (template, values) or a response."""
    with transaction(request.app.state.reader) as db:
        who = auth.load(db, _key(request), request.cookies.get(auth.COOKIE))
        if who is None:
            return _to(HOME)
        env_id = service.environment_id(db, who)
        try:
            result = build(db, who, env_id)
        except ApiError as exc:
            return _render("error.html", exc.status, who=who, csrf=auth.csrf_token(_key(request), who.nonce), message=exc.details or exc.title)
        if isinstance(result, Response):
            return result
        name, values = result
        return _render(name, who=who, csrf=auth.csrf_token(_key(request), who.nonce), **values)


async def _action(request: Request, run: Callable[[Session, auth.DashboardSession, str, dict[str, str]], Response]) -> Response:
    form = {k: v for k, v in (await request.form(max_files=0, max_fields=50)).items() if isinstance(v, str)}
    return await run_in_threadpool(_act, request, form, run)


def _act(request: Request, form: dict[str, str], run: Callable[..., Response]) -> Response:
    try:
        with transaction(request.app.state.writer) as db:
            who = auth.load(db, _key(request), request.cookies.get(auth.COOKIE))
            if who is None:
                return _to(HOME)
            if not auth.csrf_ok(_key(request), who.nonce, form.get("csrf")):
                raise ApiError(403, "The form expired or did not come from this dashboard. Reload the page and try again.")
            return run(db, who, service.environment_id(db, who), form)
    except ApiError as exc:  # the transaction rolled back: nothing half-written
        return _render("error.html", exc.status, who=None, csrf="", message=exc.details or exc.title)


# ---------------------------------------------------------------- sign-in


def _sign_in_form(request: Request, error: str | None = None, status: int = 200, email: str = "") -> HTMLResponse:
    pre = request.cookies.get(auth.PRE_COOKIE) or secrets.token_urlsafe(16)
    response = _render("sign_in.html", status, csrf=auth.csrf_token(_key(request), "pre:" + pre), error=error, email=email)
    response.set_cookie(auth.PRE_COOKIE, pre, httponly=True, secure=request.url.scheme == "https", samesite="strict", path=HOME, max_age=3600)
    return response


@router.get(HOME)
def home(request: Request) -> Response:
    with transaction(request.app.state.reader) as db:
        if auth.load(db, _key(request), request.cookies.get(auth.COOKIE)) is not None:
            return _to(f"{HOME}/inquiries")
    return _sign_in_form(request)


@router.post(f"{HOME}/sign-in")
async def sign_in(request: Request) -> Response:
    form = {k: v for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    pre = request.cookies.get(auth.PRE_COOKIE, "")
    if not pre or not auth.csrf_ok(_key(request), "pre:" + pre, form.get("csrf")):
        return _sign_in_form(request, "The form expired. Try again.", 403)
    def attempt() -> Response:
        with transaction(request.app.state.writer) as db:  # a failure's counter is committed too
            try:
                user = auth.sign_in(db, form.get("email", ""), form.get("password", ""), form.get("code"))
            except auth.SignInError as exc:
                return _sign_in_form(request, str(exc), 401, form.get("email", "")[:255])
            response = _to(f"{HOME}/inquiries")
            _set_session(request, response, auth.new_cookie(_key(request), user, "sandbox"))
            response.delete_cookie(auth.PRE_COOKIE, path=HOME)
            return response

    return await run_in_threadpool(attempt)


@router.post(f"{HOME}/sign-out")
async def sign_out(request: Request) -> Response:
    def run(_db: Session, _who: auth.DashboardSession, _env_id: str, _form: dict[str, str]) -> Response:
        response = _to(HOME)
        response.delete_cookie(auth.COOKIE, path=HOME)
        return response

    return await _action(request, run)


@router.post(f"{HOME}/environment")
async def switch_environment(request: Request) -> Response:
    def run(_db: Session, who: auth.DashboardSession, _env_id: str, form: dict[str, str]) -> Response:
        name = form.get("environment", "")
        if name not in ("sandbox", "production"):
            raise ApiError(400, "environment must be sandbox or production")
        response = _to(f"{HOME}/inquiries")
        _set_session(request, response, auth.new_cookie(_key(request), who.user, name))
        return response

    return await _action(request, run)


# ---------------------------------------------------------------- inquiries


def _links(result: Any, params: dict[str, str]) -> dict[str, str | None]:
    """Older/newer links of a cursor page that keep the filters."""
    base = urlencode({k: v for k, v in params.items() if v})
    return {
        "next": f"?{base}&after={result.items[-1].id}" if result.has_next and result.items else None,
        "prev": f"?{base}&before={result.items[0].id}" if result.has_prev and result.items else None,
    }


def _page_of(request: Request, size: int = 25) -> Page:
    return Page(size=size, after=request.query_params.get("after") or None, before=request.query_params.get("before") or None)


@router.get(f"{HOME}/inquiries")
def inquiry_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        f = service.Filters.of(dict(request.query_params))
        result = service.list_inquiries(db, env_id, f, _page_of(request))
        links = _links(result, f.active())
        return "inquiries.html", {"result": result, "f": f, "links": links, "statuses": service.STATUSES,
                                  "templates": templates_repository.all_templates(db, env_id), "title": "Inquiries"}

    return _page(request, build)


@router.get(f"{HOME}/queue")
def review_queue(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        after_id = request.query_params.get("after")
        after = inquiries.load(db, env_id, after_id) if after_id else None
        items = repository.review_queue(db, env_id, 26, after)
        return "queue.html", {"items": items[:25], "more": items[24].id if len(items) > 25 else None, "title": "Review queue"}

    return _page(request, build)


def _timeline(db: Session, env_id: str, ids: list[str]) -> list[dict[str, Any]]:
    return [{"name": e.name, "at": e.created_at, "actor": e.actor, "object_id": e.object_id, "id": e.id} for e in repository.events_of(db, env_id, ids)]


@router.get(HOME + "/inquiries/{inquiry_id}")
def inquiry_page(request: Request, inquiry_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        inquiry = inquiries.load(db, env_id, inquiry_id)
        checks = repository.inquiry_verifications(db, inquiry.id)
        timeline = _timeline(db, env_id, [inquiry.id] + [v.id for v in checks])
        link = request.query_params.get("link")
        return "inquiry.html", {
            "inquiry": inquiry, "fields": {} if inquiry.redacted_at else inquiry.fields, "verifications": checks, "timeline": timeline,
            "deliveries": repository.deliveries_of_events(db, env_id, [e["id"] for e in timeline]), "title": f"Inquiry {inquiry.id}",
            "link": link, "qr": Markup(qr_svg(link)) if link else None,
        }

    return _page(request, build)


def _secrets(request: Request) -> Secrets:
    return Secrets(request.app.state.settings.secrets["session_token_secret"], request.app.state.settings.base_url)


@router.post(HOME + "/inquiries/{inquiry_id}/{action}")
async def inquiry_action(request: Request, inquiry_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        link = service.act(db, who, env_id, inquiry_id, action, form, _secrets(request))
        return _to(f"{HOME}/inquiries/{inquiry_id}" + (f"?{urlencode({'link': link})}" if link else ""))

    return await _action(request, run)


# ---------------------------------------------------------------- audit log


@router.get(f"{HOME}/audit")
def audit_log(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:255] for k in ("user", "action", "object")}
        result = repository.audit_page(db, env_id, _page_of(request, 50), user_email=q["user"], action=q["action"], object_id=q["object"])
        links = _links(result, q)
        return "audit.html", {"result": result, "q": q, "links": links, "title": "Audit log"}

    return _page(request, build)


# ---------------------------------------------------------------- jobs


@router.get(f"{HOME}/jobs")
def job_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:100] for k in ("status", "queue", "kind")}
        filters = jobs_admin.Filters((q["status"],) if q["status"] else jobs_admin.ATTENTION, q["queue"] or None, q["kind"] or None)
        at = now()
        found = [(job, jobs_admin.status_of(job, at)) for job in jobs_admin.find(db, filters, at)]
        return "jobs.html", {"jobs": found, "q": q, "statuses": jobs_admin.STATUSES, "queues": QUEUES, "kinds": sorted(job_registry),
                             "title": "Jobs"}

    return _page(request, build)


@router.post(HOME + "/jobs/{job_id}/{action}")
async def job_action(request: Request, job_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.change_job(db, who, env_id, job_id, action)
        return _to(f"{HOME}/jobs")

    return await _action(request, run)


# ---------------------------------------------------------------- templates


@router.get(f"{HOME}/templates")
def template_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        return "templates.html", {"templates": templates_repository.all_templates(db, env_id), "title": "Templates"}

    return _page(request, build)


@router.get(HOME + "/templates/{template_id}")
def template_page(request: Request, template_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        template = service.load_template(db, env_id, template_id)
        versions = templates_repository.list_versions(db, env_id, template.id, Page(size=100, after=None, before=None)).items
        latest = next((v for v in versions if v.id == template.latest_published_version_id), None)
        config = config_of(latest) if latest else None
        return "template.html", {"template": template, "versions": versions, "config": config, "kinds": service.VERIFICATION_KINDS,
                                 "title": f"Template {template.name}"}

    return _page(request, build)


@router.post(HOME + "/templates/{template_id}/versions")
async def template_new_version(request: Request, template_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        service.new_template_version(db, who, env_id, template_id, form)
        return _to(f"{HOME}/templates/{template_id}")

    return await _action(request, run)


@router.post(HOME + "/templates/{template_id}/inquiries")
async def template_new_inquiry(request: Request, template_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        inquiry, link = service.create_inquiry(db, who, env_id, template_id, form, _secrets(request))
        return _to(f"{HOME}/inquiries/{inquiry.id}?{urlencode({'link': link})}")

    return await _action(request, run)


@router.post(HOME + "/templates/{template_id}/versions/{version_id}/publish")
async def template_publish(request: Request, template_id: str, version_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.publish_template_version(db, who, env_id, template_id, version_id)
        return _to(f"{HOME}/templates/{template_id}")

    return await _action(request, run)


# ---------------------------------------------------------------- analytics


@router.get(f"{HOME}/analytics")
def analytics_page(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:40] for k in ("template", "created_from", "created_to")}
        numbers = service.analytics(db, env_id, q["template"] or None, q["created_from"] or None, q["created_to"] or None)
        return "analytics.html", {"a": numbers, "q": q, "templates": templates_repository.all_templates(db, env_id), "title": "Analytics"}

    return _page(request, build)


# ---------------------------------------------------------------- accounts


@router.get(f"{HOME}/accounts")
def account_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:255] for k in ("search", "reference_id")}
        result = service.list_accounts(db, env_id, q["search"], q["reference_id"], _page_of(request))
        links = _links(result, q)
        return "accounts.html", {"result": result, "q": q, "links": links, "title": "Accounts"}

    return _page(request, build)


@router.get(HOME + "/accounts/{account_id}")
def account_page(request: Request, account_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        account = accounts_repository.get(db, env_id, account_id)
        if account is None:
            raise not_found("account", account_id)
        fields = {} if account.redacted_at else account.fields
        return "account.html", {"account": account, "fields": fields, "inquiries": inquiries_repository.of_account(db, account.id),
                                "title": f"Account {account.id}"}

    return _page(request, build)


# ---------------------------------------------------------------- API keys


def _keys_page(db: Session, env_id: str, created: Any = None) -> tuple[str, dict[str, Any]]:
    return "api_keys.html", {"keys": environments_repository.api_keys(db, env_id), "created": created, "permissions": ALL_PERMISSIONS, "title": "API keys"}


@router.get(f"{HOME}/api-keys")
def api_key_list(request: Request) -> Response:
    return _page(request, lambda db, _who, env_id: _keys_page(db, env_id))


@router.post(f"{HOME}/api-keys")
async def api_key_create(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        created = service.create_api_key(db, who, env_id, form)
        name, values = _keys_page(db, env_id, created)  # the secret is shown in this answer only, never stored
        return _render(name, who=who, csrf=auth.csrf_token(_key(request), who.nonce), **values)

    return await _action(request, run)


@router.post(HOME + "/api-keys/{key_id}/revoke")
async def api_key_revoke(request: Request, key_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, _form: dict[str, str]) -> Response:
        service.revoke_api_key(db, who, env_id, key_id)
        return _to(f"{HOME}/api-keys")

    return await _action(request, run)


# ---------------------------------------------------------------- second factor


@router.get(f"{HOME}/security")
def security_page(request: Request) -> Response:
    def build(_db: Session, who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {"enabled": bool(who.user.totp_secret), "title": "Sign-in security"}
        if not who.user.totp_secret:
            secret = auth.new_totp_secret()  # kept only in a signed form field until a code proves the app has it
            uri = f"otpauth://totp/openidv:{quote(who.user.email)}?secret={secret}&issuer=openidv"
            values.update(secret=secret, pending=auth.sign(_key(request), {"s": secret, "u": who.user.id}), qr=Markup(qr_svg(uri)))
        return "security.html", values

    return _page(request, build)


@router.post(f"{HOME}/security/totp")
async def security_totp(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        secret = None
        if form.get("pending"):
            pending = auth.unsign(_key(request), form["pending"]) or {}
            if pending.get("u") != who.user.id:
                raise ApiError(400, "The set-up form expired. Reload the page.")
            secret = pending["s"]
        service.set_totp(db, who, env_id, secret, form.get("code", ""))
        return _to(f"{HOME}/security")

    return await _action(request, run)
