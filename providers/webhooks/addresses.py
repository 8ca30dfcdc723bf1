"""Which receivers we call: http(s) URLs with a host and no credentials, on public addresses.

A subscriber chooses the URL, so without this check our workers would call whatever it names:
loopback services, the private network, the cloud metadata endpoint (169.254.169.254).
Literal addresses are refused when subscribing; names are resolved and checked before each
attempt. SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS lifts the address rule (development, tests).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from providers.base import Rejected, Unavailable


def url_problem(url: str) -> str | None:
    """Why this URL cannot receive webhooks, or None when it can."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials; verify the X-Slotwise-Signature header instead"
    if _bad_port(parts):
        return "has an invalid port"
    if not settings.SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS and not _public_name(parts.hostname):
        return "must name a public host, not a loopback, private or link-local address"
    return None


def check_reachable(url: str) -> None:
    """Before an attempt: every address the host resolves to must be public (unless allowed).
    Raises Rejected for a private address, Unavailable when the name does not resolve."""
    if settings.SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        found = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as error:
        raise Unavailable(f"could not resolve {host}: {error}") from None
    if not found or not all(_public(str(info[4][0])) for info in found):
        raise Rejected(f"{host} resolves to a non-public address; refused")


def _bad_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return True
    return False


def _public_name(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return _public(host)
    except ValueError:
        return True  # a name: resolved and checked at delivery


def _public(address: str) -> bool:
    """Raises ValueError when `address` is not an IP address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global
