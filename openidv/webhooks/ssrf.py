"""SSRF guard: webhook URLs are http(s) and never reach private, loopback, link-local or metadata
addresses unless the operator allows them (checked at creation and again before each delivery)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from openidv.kit.errors import ApiError


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or str(ip) in ("169.254.169.254", "fd00:ec2::254")


def check_url(url: str, *, allow_private: bool, https_only: bool = False) -> None:
    """Raise 422 when the URL may not be used."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(422, "url must be an absolute http(s) URL", pointer="/data/attributes/url")
    if https_only and parts.scheme != "https" and not allow_private:
        raise ApiError(422, "url must use https in a production environment", pointer="/data/attributes/url")
    if allow_private:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise ApiError(422, f"url host {parts.hostname} does not resolve", pointer="/data/attributes/url") from None
    if any(_refused(a) for a in addresses):
        raise ApiError(422, "url resolves to a private, loopback or link-local address", pointer="/data/attributes/url")
