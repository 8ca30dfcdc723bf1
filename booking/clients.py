"""Who sent a request: the client's address, one rule for every part that asks (the public request
limits, /metrics).

The client is REMOTE_ADDR. Behind reverse proxies, SLOTWISE_TRUSTED_PROXY_COUNT says how many of
them append to X-Forwarded-For, and the client is then the entry the outermost trusted proxy
appended: anything left of it the client may have sent itself. A header that did not pass every
trusted proxy, or whose entry is no address, leaves REMOTE_ADDR. IPv4-mapped IPv6 addresses
(::ffff:a.b.c.d, from a dual-stack socket) are the IPv4 address they map.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# headers only a proxy in between would send (X-Forwarded-For, RFC 7239 Forwarded)
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED")


def client_ip(request: HttpRequest) -> IPAddress | None:
    """The client's address, or None when neither the trusted header nor REMOTE_ADDR names one."""
    return _forwarded_for(request) or _parsed(request.META.get("REMOTE_ADDR"))


def on_this_host(request: HttpRequest) -> bool:
    """Whether the client is on this host and talking to us directly: a loopback address, and no
    proxy in between. A proxy on this host connects from loopback whoever its client is, so a
    request it passed on (trusted or not) is never a loopback client."""
    if any(request.META.get(header) for header in _PROXY_HEADERS):
        return False
    found = client_ip(request)
    return found is not None and found.is_loopback


def _forwarded_for(request: HttpRequest) -> IPAddress | None:
    """The entry the outermost trusted proxy appended to X-Forwarded-For, if it is an address."""
    trusted: int = settings.SLOTWISE_TRUSTED_PROXY_COUNT
    if trusted < 1:
        return None
    header: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [e.strip() for e in header.split(",") if e.strip()]
    if len(entries) < trusted:
        return None  # not through every trusted proxy: only REMOTE_ADDR is known
    return _parsed(entries[-trusted])


def _parsed(text: str | None) -> IPAddress | None:
    try:
        found = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found
