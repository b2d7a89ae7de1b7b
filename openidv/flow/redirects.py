"""Where the hosted flow may send the browser at the end (COMPAT.md §9): the template's allowed domains only.

A redirect URI is accepted when
- it is `http`/`https`, allowed by `hosted-flow-redirect-uri-schemes` (empty: both, as Persona), and its host is
  on the template's allowed domains: `embedded-flow-domain-allowlist` (Persona's "allowed domains") together
  with openidv's `redirect-uri-domain-allowlist` (for a site that is redirected to but never embeds the flow).
  An entry is a host (`example.com`, exact), a wildcard (`*.example.com`, its subdomains), optionally with a
  scheme and a port (`https://shop.example.com:8443`), which then must match too. The sandbox also allows
  loopback hosts (`localhost`, `127.0.0.1`, `[::1]`), so a developer's machine works without a setting;
- or it has a custom scheme (a mobile app's deep link, `myapp://done`) listed in `hosted-flow-redirect-uri-schemes`.

Anything else is refused when the flow is opened (`error.redirect`, the SDK's `invalid_config`), and a URI
stored on the inquiry that no longer qualifies is not followed at the end (the done screen shows instead).
The query added at the end carries `inquiry-id`, `status` and `reference-id` only: never the inquiry's
fields (names, ID numbers and birthdates would otherwise travel in a URL, into logs and `Referer`s).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from openidv.auth import repository as auth_repository
from openidv.flow import repository, service
from openidv.inquiry_templates.config import TemplateConfig
from openidv.lifecycle import InquiryStatus
from openidv.models import Inquiry, InquiryTemplate

log = logging.getLogger("openidv.flow")
WEB_SCHEMES = ("http", "https")
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"}
LOOPBACK = ("localhost", "127.0.0.1", "::1")  # the sandbox trusts these (redirects here; framing in endpoints.py)
MAX_LENGTH = 2000


def _refused(host: str | None = None) -> service.FlowError:
    return service.FlowError("error.redirect_domain", host=host) if host else service.FlowError("error.redirect")


def _entry(value: str) -> tuple[str | None, str, int | None] | None:
    """(scheme or None, host pattern, port or None) of an allowlist entry; None for an unusable entry."""
    value = value.strip().lower()
    scheme = None
    if "://" in value:
        scheme, _, value = value.partition("://")
    host = value.split("/", 1)[0]
    port = None
    if host.startswith("["):  # [::1]:8080
        inner, _, rest = host[1:].partition("]")
        host, port_text = inner, rest.lstrip(":")
    elif host.count(":") == 1:
        host, _, port_text = host.partition(":")
    else:
        port_text = ""
    if port_text:
        if not port_text.isdigit():
            return None
        port = int(port_text)
    return (scheme, host, port) if host and host != "*" else None


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def allowed_domains(template: InquiryTemplate | None) -> list[str]:
    if template is None:
        return []
    return [*(template.embedded_flow_domain_allowlist or []), *(template.redirect_uri_domain_allowlist or [])]


def domain_allowed(scheme: str, host: str, port: int | None, allowlist: list[str], *, sandbox: bool) -> bool:
    if sandbox and host in LOOPBACK:
        return True
    for raw in allowlist:
        entry = _entry(raw)
        if entry is None:
            continue
        entry_scheme, pattern, entry_port = entry
        if entry_scheme and entry_scheme != scheme:
            continue
        if entry_port is not None and entry_port != (port or (443 if scheme == "https" else 80)):
            continue
        if _host_matches(pattern, host):
            return True
    return False


def _is_sandbox(db: Session, environment_id: str) -> bool:
    env = auth_repository.environment(db, environment_id)
    return bool(env and env.is_sandbox)


def check_redirect(db: Session, uri: str | None, template: InquiryTemplate | None) -> str | None:
    """`uri` when the template allows it (see the module), None when there is none; raises `FlowError`."""
    if not uri:
        return None
    if len(uri) > MAX_LENGTH or any(c in uri for c in "\\\t\r\n ") or any(ord(c) < 32 or ord(c) == 127 for c in uri):
        raise _refused()
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise _refused() from None
    scheme = parts.scheme.lower()
    schemes = [s.lower() for s in (template.hosted_flow_redirect_uri_schemes if template else [])]
    if not scheme or scheme in FORBIDDEN_SCHEMES or scheme not in (schemes or WEB_SCHEMES):
        raise _refused()
    if scheme not in WEB_SCHEMES:
        return uri  # a deep link the template lists by scheme
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        raise _refused()
    sandbox = template is not None and _is_sandbox(db, template.environment_id)
    if not domain_allowed(scheme, host, port, allowed_domains(template), sandbox=sandbox):
        raise _refused(host=host)
    return uri


def redirect_target(db: Session, inquiry: Inquiry, config: TemplateConfig) -> str | None:
    """Where the hosted flow sends the browser once the inquiry completed or failed (COMPAT.md §9), or None
    (the done screen) when there is no redirect URI or the template no longer allows it."""
    if inquiry.status not in (InquiryStatus.COMPLETED, InquiryStatus.FAILED):
        return None
    template = repository.template(db, inquiry.template_id)
    try:
        uri = check_redirect(db, inquiry.redirect_uri or config.redirect_uri, template)
    except service.FlowError:
        log.warning("inquiry %s: redirect URI not allowed by template %s; showing the end screen", inquiry.id, inquiry.template_id)
        return None
    if not uri:
        return None
    query = {"inquiry-id": inquiry.id, "status": inquiry.status}
    if inquiry.reference_id:
        query["reference-id"] = inquiry.reference_id
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(query=f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)))
