"""Which outside URLs we call when a user chose them (webhook receivers, CalDAV calendars): http(s)
URLs with a host and no credentials, reaching public addresses only.

A user names these URLs, so without this rule our workers would call whatever they name: loopback
services, the private network, the cloud metadata endpoint (169.254.169.254). One rule (`public`),
applied twice:

- when the URL is given (subscribe, connect), `url_problem` refuses a host that is an address in any
  spelling the OS resolver reads as one (127.1, 2130706433, 0x7f000001, [::ffff:127.0.0.1], NAT64 and
  6to4 addresses wrapping a private IPv4 address...) and localhost names;
- on every connection, the `session()` resolver (`PublicResolver`) resolves the name and refuses it
  unless every address is public; the socket then connects to exactly those addresses, so a name that
  answers differently between check and connect (DNS rebinding) gains nothing. Redirects and
  reconnects pass through it too, and only http(s) is mounted (no redirect to a unix socket).

SLOTWISE_ALLOW_PRIVATE_URLS lifts the address rule (development, tests).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import SplitResult

import niquests
from django.conf import settings
from niquests.packages.urllib3.contrib.resolver import BaseResolver, ProtocolResolver

from providers.urls import Address, literal_address, split

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a network's own translator
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated (RFC 4291), :: and ::1 among them
PUBLIC_HOST = "must name a public host, not a loopback, private or link-local address"


def url_problem(url: str) -> str | None:
    """Why we will not call this URL, or None when we will (its name is checked again on every connection)."""
    parts = split(url.strip())
    if parts is None:
        return "is not a well-formed URL (RFC 3986): a host in brackets must be an IPv6 address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry credentials (user:password@)"
    if _bad_port(parts):
        return "has an invalid port"
    if not settings.SLOTWISE_ALLOW_PRIVATE_URLS and not _public_host(parts.hostname):
        return PUBLIC_HOST
    return None


def public(ip: Address) -> bool:
    """True when `ip` is globally reachable; an address carrying an IPv4 address is judged by it too."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _plainly_public(ip)
    if ip.ipv4_mapped is not None:
        return _plainly_public(ip.ipv4_mapped)
    if ip in NAT64:  # the translator connects to the IPv4 address inside
        return _plainly_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in LOCAL_NAT64 or ip in IPV4_COMPATIBLE:
        return False
    tunnelled = [v4 for v4 in (ip.sixtofour, *(ip.teredo or ())) if v4 is not None]
    return _plainly_public(ip) and all(_plainly_public(v4) for v4 in tunnelled)


class AddressRefused(OSError):
    """A host resolved to a non-public address: no connection was made."""


Lookup = Callable[..., list[Any]]  # socket.getaddrinfo's signature and answer
_lookup: Lookup = socket.getaddrinfo  # what session() resolves with (names_resolved_by)


@contextmanager
def names_resolved_by(lookup: Lookup) -> Iterator[None]:
    """Sessions made meanwhile resolve names with `lookup` (a getaddrinfo) instead of the OS's.

    For tests, whose names must resolve alike on every machine (a name that resolves to loopback
    by construction); every address `lookup` gives is still judged by PublicResolver."""
    global _lookup
    before, _lookup = _lookup, lookup
    try:
        yield
    finally:
        _lookup = before


class PublicResolver(BaseResolver):  # type: ignore[misc]  # niquests' import alias hides the type
    """A resolver (the OS's by default), refusing a name unless every address it resolves to is
    public (or allowed)."""

    protocol = ProtocolResolver.CUSTOM
    implementation = "slotwise"

    def __init__(self, lookup: Lookup = socket.getaddrinfo) -> None:
        super().__init__(None, None)
        self._lookup = lookup

    def recycle(self) -> BaseResolver:
        return self

    def close(self) -> None:
        pass  # holds nothing open

    def is_available(self) -> bool:
        return True

    def getaddrinfo(
        self, host: Any, port: Any, family: Any, type: Any, proto: int = 0, flags: int = 0, **_: Any
    ) -> Any:
        found = self._lookup(host, port, family, type, proto, flags)
        if settings.SLOTWISE_ALLOW_PRIVATE_URLS:
            return found
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not found or not all(_public_text(str(info[4][0])) for info in found):
            raise AddressRefused(f"{name} resolves to a non-public address; refused")
        return found


def session(multiplexed: bool = False) -> niquests.Session:
    """A session for user-chosen URLs: every connection through PublicResolver, http(s) only, and no
    proxy or .netrc from the environment (a proxy would resolve the name itself, past the check)."""
    made = niquests.Session(resolver=PublicResolver(_lookup), multiplexed=multiplexed)
    made.trust_env = False
    for prefix in [p for p in made.adapters if p not in ("http://", "https://")]:
        del made.adapters[prefix]
    return made


def refusal_in(error: BaseException) -> AddressRefused | None:
    """The address refusal behind an HTTP library's error, however deeply it was wrapped."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        found = pending.pop()
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        if isinstance(found, AddressRefused):
            return found
        seen.add(id(found))
        pending.extend([found.__cause__, found.__context__, getattr(found, "reason", None), *found.args])
    return None


def _bad_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return True
    return False


def _public_host(host: str) -> bool:
    name = host.lower().removesuffix(".")
    if name == "localhost" or name.endswith(".localhost"):
        return False
    address = literal_address(host)
    return address is None or public(address)  # a name: resolved and checked on every connection


def _public_text(address: str) -> bool:
    found = literal_address(address)
    return found is not None and public(found)


def _plainly_public(ip: Address) -> bool:
    special = ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback or ip.is_unspecified
    return ip.is_global and not ip.is_private and not special and not getattr(ip, "is_site_local", False)
