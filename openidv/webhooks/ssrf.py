"""SSRF guard: webhook URLs are http(s) and never reach private, loopback, link-local or metadata
addresses unless the operator allows them (checked at creation and again before each delivery).

`vet` resolves the host once and returns the addresses it checked; the delivery connects to exactly those
(`delivery.PinnedTransport`), so a resolver that answers a public address to the check and a private one to
the connection (DNS rebinding) gets nowhere. Every address is canonicalized first: IPv4 in any notation
`inet_aton` accepts (`2130706433`, `0177.0.0.1`, `127.1`) and every IPv6 form that carries an IPv4 address
(mapped, compatible, SIIT, NAT64, 6to4, Teredo) is judged by the IPv4 address it reaches."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from openidv.kit.errors import ApiError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the last 32 bits are the IPv4 address
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use translation: never global
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses (::a.b.c.d), and :: and ::1
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 IPv4-translated addresses


@dataclass(frozen=True)
class Target:
    """What a delivery may connect to: the URL's host and the vetted addresses (in resolver order)."""

    host: str
    addresses: tuple[str, ...]


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (and so reaches), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _SIIT or ip in _COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused(ip: IPAddress) -> bool:
    """True for any address that is not plainly public. An IPv6 address that carries an IPv4 address is
    judged by that one: a NAT64 or 6to4 address of a public host passes (IPv6-only networks reach IPv4
    receivers that way), of 127.0.0.1 it does not."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _COMPATIBLE or ip in _NAT64_LOCAL:  # deprecated or site-local forms, and :: and ::1
            return True
        inner = embedded_ipv4(ip)
        if inner is not None:
            return refused(inner)
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_private or ip in _METADATA


def literal(host: str) -> IPAddress | None:
    """The address a host names without DNS: an IPv6 literal, or IPv4 in any notation `inet_aton` takes
    (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`), as the system resolver would."""
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def _error(message: str) -> ApiError:
    return ApiError(422, message, pointer="/data/attributes/url")


def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses (no DNS for literals), canonical, in the resolver's order."""
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise _error(f"url host {host} does not resolve") from None
    addresses: dict[IPAddress, None] = {}
    for info in infos:
        address = literal(str(info[4][0]))
        if address is not None:
            addresses[address] = None
    if not addresses:
        raise _error(f"url host {host} does not resolve")
    return list(addresses)


def _parts(url: str, *, allow_private: bool, https_only: bool) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _error("url must be an absolute http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error("url must be an absolute http(s) URL")
    if https_only and parts.scheme != "https" and not allow_private:
        raise _error("url must use https in a production environment")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _vetted(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    addresses = resolve(host, port)
    if not allow_private:
        if any(refused(a) for a in addresses):
            raise _error("url resolves to a private, loopback or link-local address")
        named = literal(host)
        if named is not None and isinstance(named, ipaddress.IPv4Address) and host != str(named):
            raise _error("url must write an IPv4 address as four decimal numbers (a.b.c.d)")
    return addresses


def check_url(url: str, *, allow_private: bool, https_only: bool = False) -> None:
    """Raise 422 when the URL may not be used (at creation: private hosts allowed are not resolved)."""
    host, port = _parts(url, allow_private=allow_private, https_only=https_only)
    if not allow_private:
        _vetted(host, port, allow_private=False)


def vet(url: str, *, allow_private: bool) -> Target:
    """Before an attempt: resolve once, check every address, and return them for the transport to pin."""
    host, port = _parts(url, allow_private=allow_private, https_only=False)
    return Target(host, tuple(str(a) for a in _vetted(host, port, allow_private=allow_private)))
