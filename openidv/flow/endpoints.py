"""HTTP for the end-user flow: `/verify` (hosted), `/widget` and `/preload` (embedded), `/flow/*` forms.

Tokens in a URL are exchanged at once for an HttpOnly cookie and the browser is sent to a clean
`/verify`. Every form carries a CSRF token bound to the session. Rules live in `service.py`.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from openidv.flow import codes, limits, redirects, service
from openidv.flow.i18n import Translator, pick
from openidv.inquiry_sessions import service as sessions
from openidv.inquiry_templates.config import ID_CLASSES, Step
from openidv.kit.db import transaction
from openidv.lifecycle import InquiryStatus, VerificationStatus
from openidv.models import Inquiry, InquirySession
from openidv.verifications import uploads
from openidv.verifications.government_id.service import TWO_SIDED

log = logging.getLogger("openidv.flow")
router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
_jinja = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)

TOKEN_COOKIE = "openidv_flow"
CONTEXT_COOKIE = "openidv_flow_ctx"
HANDOFF_COOKIE = "openidv_flow_handoff"
ENTRY_KEYS = ("code", "session-token", "inquiry-id", "inquiry-template-id", "inquiry-template-version-id", "template-id")
FIELD_KEY = re.compile(r"^fields\[([^\]]{1,100})\]$")
HOST_SOURCE = re.compile(r"^(https?://)?(\*\.)?[A-Za-z0-9.\-]+(:(\d{1,5}|\*))?$")  # a CSP host-source
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
MAX_UPLOAD_REQUEST = 4 * uploads.MAX_BYTES
# The SDK event the done screen posts, by the inquiry's status.
SDK_EVENTS: dict[str, str] = {InquiryStatus.COMPLETED: "complete", InquiryStatus.FAILED: "fail"}


# ---------------------------------------------------------------- small helpers


def _secret(request: Request, name: str) -> str:
    return request.app.state.settings.secrets[name]


def _session_secrets(request: Request) -> sessions.Secrets:
    return sessions.Secrets(_secret(request, "session_token_secret"), request.app.state.settings.base_url)


def _sign(request: Request, data: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    mac = hmac.new(_secret(request, "secret_key").encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _context(request: Request) -> dict[str, Any]:
    """The signed flow context cookie: language and, in an iframe, the SDK's ids and the parent origin."""
    return _unsign(request, request.cookies.get(CONTEXT_COOKIE, ""))


def _unsign(request: Request, raw: str) -> dict[str, Any]:
    body, _, mac = raw.rpartition(".")
    good = hmac.new(_secret(request, "secret_key").encode(), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, good):
        return {}
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        return {}


def _csrf(request: Request, row: InquirySession) -> str:
    return hmac.new(_secret(request, "secret_key").encode(), f"csrf:{row.id}".encode(), hashlib.sha256).hexdigest()


def _language(request: Request, ctx: dict[str, Any] | None = None) -> str:
    explicit = request.query_params.get("language") or (ctx or {}).get("language")
    return pick(explicit, request.headers.get("accept-language"))


def _frame_ancestors(ctx: dict[str, Any]) -> str:
    embed = ctx.get("embed")
    if not embed:
        return "'none'"
    return " ".join(embed.get("frame_ancestors") or ["*"])


def _headers(ctx: dict[str, Any]) -> dict[str, str]:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        f"connect-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {_frame_ancestors(ctx)}"
    )
    return {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(self)",
    }


def _render(request: Request, ctx: dict[str, Any], name: str, status: int = 200, **values: Any) -> HTMLResponse:
    t = Translator(_language(request, ctx))
    html = _jinja.get_template(name).render(t=t, lang=t.language, embed=ctx.get("embed"), flow_url=_flow_url(ctx), **values)
    return HTMLResponse(html, status_code=status, headers=_headers(ctx))


def _flow_url(ctx: dict[str, Any]):  # noqa: ANN202
    """Every link and form action of a page goes through this, so a flow without cookies keeps its pass."""
    return lambda path: path


def _error_page(request: Request, ctx: dict[str, Any], exc: service.FlowError) -> HTMLResponse:
    t = Translator(_language(request, ctx))
    message = t(exc.key, **exc.values)
    sdk_error = {"status": exc.status, "code": exc.code, "message": message}
    return _render(request, ctx, "error.html", status=exc.status, message=message, sdk_error=sdk_error)


def _set_cookies(request: Request, response: Response, token: str, ctx: dict[str, Any]) -> None:
    secure = request.url.scheme == "https"
    # An embedded flow on another site needs SameSite=None, which browsers accept only with Secure.
    same_site: Literal["none", "lax"] = "none" if (secure and ctx.get("embed")) else "lax"
    for name, value in ((TOKEN_COOKIE, token), (CONTEXT_COOKIE, _sign(request, ctx))):
        response.set_cookie(name, value, httponly=True, secure=secure, samesite=same_site, path="/", max_age=86400)


def _origin(value: str | None) -> str | None:
    if not value or not ORIGIN.match(value):
        return None
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}"


def _embed_ids(request: Request) -> dict[str, Any]:
    """What the iframe echoes to the SDK, exactly as given (COMPAT.md §10), and where it posts."""
    q = request.query_params
    return {
        "container_id": q.get("container-id"),
        "template_id": q.get("inquiry-template-id") or q.get("template-id"),
        "template_version_id": q.get("inquiry-template-version-id"),
        "target_origin": _origin(q.get("message-target-origin")) or _origin(q.get("iframe-origin")),
        "frame_ancestors": [],
    }


def _frame_ancestors_of(request: Request, db: Session, inquiry: Inquiry) -> list[str]:
    """The template's allowlist is the limit; `frame-ancestors[i]` may only narrow it. No allowlist: any parent."""
    template = service.repository.template(db, inquiry.template_id)
    allowlist = [v for v in (template.embedded_flow_domain_allowlist if template else []) if HOST_SOURCE.match(v)]
    asked = [o for o in (_origin(request.query_params.get(f"frame-ancestors[{i}]")) for i in range(10)) if o]
    if allowlist or (template and template.embedded_flow_domain_allowlist):
        return [o for o in asked if o in allowlist] or allowlist or ["'none'"]
    return asked


def _fields_of_query(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        match = FIELD_KEY.match(key)
        if match:
            out[match.group(1)] = value
    return out


# ---------------------------------------------------------------- entry: /verify, /widget, /preload


def _enter(request: Request, embedded: bool) -> Response:
    q = request.query_params
    ctx: dict[str, Any] = {"language": _language(request)}
    if embedded:
        ctx["embed"] = _embed_ids(request)
    try:
        with transaction(request.app.state.writer) as db:
            secrets = _session_secrets(request)
            if q.get("code"):
                opened = service.open_link(db, q["code"], secrets)
            elif q.get("inquiry-id"):
                opened = service.open_existing(db, q["inquiry-id"], q.get("session-token"), secrets)
            elif q.get("session-token"):
                raise service.FlowError("error.unauthenticated", status=409, code="unauthenticated")
            else:
                keys = (*service.inquiries.TEMPLATE_KEYS, "environment-id", "environment", "reference-id", "account-id", "redirect-uri")
                params = {k: q.get(k) for k in keys}
                opened = service.open_new(db, params, _fields_of_query(request), secrets)
            if embedded:
                ctx["embed"]["frame_ancestors"] = _frame_ancestors_of(request, db, opened.inquiry)
    except service.FlowError as exc:
        return _error_page(request, ctx, exc)
    # `#load`: the first page of an iframe announces `load` and `ready` to the SDK once.
    response = RedirectResponse("/verify" + ("#load" if embedded else ""), status_code=303, headers=_headers(ctx))
    _set_cookies(request, response, opened.token, ctx)
    return response


@router.get("/verify")
def verify(request: Request) -> Response:
    if any(request.query_params.get(k) for k in ENTRY_KEYS):
        return _enter(request, embedded=False)
    return _show(request)


@router.get("/widget")
def widget(request: Request) -> Response:
    return _enter(request, embedded=True)


@router.get("/preload")
def preload(request: Request) -> Response:
    """The SDK loads this in a hidden frame to warm the cache; nothing to do but be cheap and framable."""
    return _render(request, {"embed": {"frame_ancestors": []}}, "preload.html")


# ---------------------------------------------------------------- the current screen


def _screen_page(request: Request, ctx: dict[str, Any], db: Session, inquiry: Inquiry, row: InquirySession,
                 problem: uploads.InputProblem | None = None, field_problems: dict[str, str] | None = None,
                 form: dict[str, str] | None = None, status: int = 200) -> Response:
    screen = service.screen(db, inquiry)
                limits.admit_creation(db, request.app.state.settings, request.client.host if request.client else None, params)
    config = service.config_of(db, inquiry)
    if screen.name == "done":
        target = None if ctx.get("embed") else redirects.redirect_target(db, inquiry, config)
        if target:
            return RedirectResponse(target, status_code=303, headers=_headers(ctx))
        event = SDK_EVENTS.get(inquiry.status)
        sdk = {"inquiryId": inquiry.id, "status": inquiry.status, "fields": service.sdk_fields(inquiry)} if event else None
        return _render(request, ctx, "done.html", inquiry=inquiry, sdk_event=event, sdk_metadata=sdk,
                       csrf=_csrf(request, row), session_token=request.cookies.get(TOKEN_COOKIE))
    t = Translator(_language(request, ctx))
    problem_text = None
    if problem is not None:
        values = dict(problem.values)
        if "pdf" in values:
            values["pdf"] = t("upload.or_pdf") if values["pdf"] else ""
        problem_text = t(problem.key, **values)
    return _render(
        request, ctx, "consent.html" if screen.name == "biometric" else f"{screen.name}.html", status=status, screen=screen, config=config, inquiry=inquiry,
        csrf=_csrf(request, row),
        problem=problem, problem_text=problem_text, field_problems=field_problems or {}, form=form or {},
        values={k: v.get("value") if isinstance(v, dict) else v for k, v in inquiry.fields.items()},
        id_classes=config.allowed_id_classes or list(ID_CLASSES), two_sided=sorted(TWO_SIDED),
        countries=config.allowed_countries, session_token=request.cookies.get(TOKEN_COOKIE), code_to=_code_to(db, inquiry, screen.step),
    )


def _code_to(db: Session, inquiry: Inquiry, step: Step | None) -> str | None:
    waiting = codes.waiting(db, inquiry, step) if step is not None and codes.handles(step.kind) else None
    return codes.sent_to(waiting) if waiting else None


def _show(request: Request) -> Response:
    ctx = _context(request)
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, request.cookies.get(TOKEN_COOKIE), _secret(request, "session_token_secret"))
            return _screen_page(request, ctx, db, inquiry, row)
        except service.FlowError as exc:
            return _error_page(request, ctx, exc)  # the session's activation still commits


# ---------------------------------------------------------------- forms


def _form_values(form: Any) -> tuple[dict[str, str], dict[str, UploadFile]]:
    values: dict[str, str] = {}
    files: dict[str, UploadFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename or value.size:
                files[key] = value
        else:
            values[key] = value
    return values, files


async def _read_form(request: Request) -> tuple[dict[str, str], dict[str, bytes]] | None:
    """The form, counted while it streams (chunked bodies too): None once it passes MAX_UPLOAD_REQUEST (413);
    a malformed body reads as an empty form, which the CSRF check then refuses."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_UPLOAD_REQUEST):
        return None
    try:
        return await uploads.read_form(request.stream(), request.headers.get("content-type"), limit=MAX_UPLOAD_REQUEST)
    except uploads.BodyTooLarge:
        return None
    except uploads.MalformedForm as exc:
        log.info("flow form refused: %s", exc)
        return {}, {}


def _post(request: Request, values: dict[str, str], files: dict[str, bytes], action: str) -> Response:
    ctx = _context(request)
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, request.cookies.get(TOKEN_COOKIE), _secret(request, "session_token_secret"))
            if not hmac.compare_digest(values.get("csrf", ""), _csrf(request, row)):
                raise service.FlowError("error.csrf", status=403, code="application_error")
            response = _act(request, ctx, db, inquiry, row, values, files, action)
        except service.FlowError as exc:
            db.rollback()
            return _error_page(request, ctx, exc)
    return response


def _act(request: Request, ctx: dict[str, Any], db: Session, inquiry: Inquiry, row: InquirySession,
         values: dict[str, str], files: dict[str, bytes], action: str) -> Response:
    done = RedirectResponse("/verify", status_code=303, headers=_headers(ctx))
    if action == "cancel":
        service.cancel(db, row)
        return Response(status_code=204)
    screen = service.screen(db, inquiry)
    if action == "consent":
        kind = "biometric" if screen.name == "biometric" else "general"
        if screen.name not in ("consent", "biometric"):
            return done
        if values.get("accept") != "yes":
            return _screen_page(request, ctx, db, inquiry, row, problem=uploads.InputProblem("accept", "consent.must_accept"), status=422)
        service.accept_consent(db, inquiry, row, kind, _language(request, ctx))
        return done
    if action == "fields":
        if screen.name != "fields":
            return done
        problems = service.save_fields(db, inquiry, values)
        if problems:
            return _screen_page(request, ctx, db, inquiry, row, field_problems=problems, form=values, status=422)
        return done
    if action == "handoff":
        if screen.name != "step":
            return done
        # Post/redirect/get: the link rides in a short-lived cookie of this browser, so a reload shows it again.
        link = service.handoff_link(db, inquiry, _session_secrets(request))
        shown = RedirectResponse("/flow/handoff", status_code=303, headers=_headers(ctx))
        shown.set_cookie(HANDOFF_COOKIE, _sign(request, {"link": link, "session": row.id}), httponly=True, secure=request.url.scheme == "https",
                         samesite="lax", path="/flow/handoff", max_age=service.HANDOFF_SECONDS)
        return shown
    if screen.name != "step" or screen.step is None or values.get("step-id") != screen.step.id:
        return done  # a stale or replayed form: show what is current
    try:
        if codes.handles(screen.step.kind):
            if _code_step(db, inquiry, screen.step, values, _language(request, ctx)) is False:
                # a wrong code counts: keep the attempt (commit) and ask again
                return _screen_page(request, ctx, db, inquiry, row, problem=uploads.InputProblem("code", "code.wrong"), status=422)
            return done
        captured = service.capture(db, inquiry, screen.step, service.config_of(db, inquiry), values, files)
        service.submit(db, inquiry, screen.step, captured)
    except uploads.InputProblem as problem:
        db.rollback()
        inquiry, row = service.load(db, request.cookies.get(TOKEN_COOKIE), _secret(request, "session_token_secret"))
        return _screen_page(request, ctx, db, inquiry, row, problem=problem, form=values, status=422)
    return done


def _code_step(db: Session, inquiry: Inquiry, step: Step, values: dict[str, str], language: str) -> bool | None:
    """Phone and e-mail: first the number or address (a code is sent by the job the send request enqueues
    in this transaction), then the code or a resend. False when a code was wrong and the verification still waits."""
    waiting = codes.waiting(db, inquiry, step)
    if waiting is None:
        codes.begin(db, inquiry, step, values.get(step.kind, ""), language)
    elif values.get("resend"):
        codes.send(db, waiting, language)
    elif not codes.confirm(db, waiting, values.get("code", "")):
        return False if waiting.status == VerificationStatus.INITIATED else None
    return None


async def _handle(request: Request, action: str) -> Response:
    read = await _read_form(request)
    if read is None:
        return _error_page(request, _context(request), service.FlowError("upload.too_large", status=413, size="> 60 MB"))
    return await run_in_threadpool(_post, request, read[0], read[1], action)


@router.get("/flow/handoff")
def handoff_page(request: Request) -> Response:
    ctx = _context(request)
    shown = _unsign(request, request.cookies.get(HANDOFF_COOKIE, ""))
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, request.cookies.get(TOKEN_COOKIE), _secret(request, "session_token_secret"))
        except service.FlowError as exc:
            return _error_page(request, ctx, exc)
        if not shown or shown.get("session") != row.id:
            return RedirectResponse("/verify", status_code=303, headers=_headers(ctx))
        link = shown["link"]
        return _render(request, ctx, "handoff.html", inquiry=inquiry, csrf=_csrf(request, row), link=link, qr=Markup(service.qr_svg(link)),
                       handoff={"state": service.progress_state(inquiry)}, session_token=request.cookies.get(TOKEN_COOKIE))


@router.get("/flow/status")
def status(request: Request) -> Response:
    """Polled by a desktop waiting for the phone: the inquiry's progress, nothing personal."""
    with transaction(request.app.state.reader) as db:
        try:
            inquiry, _row = service.load(db, request.cookies.get(TOKEN_COOKIE), _secret(request, "session_token_secret"), activate=False)
        except service.FlowError:
            return JSONResponse({"state": None}, status_code=401, headers={"Cache-Control": "no-store"})
        return JSONResponse({"state": service.progress_state(inquiry)}, headers={"Cache-Control": "no-store"})


def _form_route(action: str):  # noqa: ANN202
    async def route(request: Request) -> Response:
        return await _handle(request, action)

    return route


# Every form posts to /flow/<action>; `_act` holds what each does.
for _action in ("consent", "fields", "step", "handoff", "cancel"):
    router.add_api_route(f"/flow/{_action}", _form_route(_action), methods=["POST"], name=f"flow-{_action}")
