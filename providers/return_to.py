"""Where a host's browser may be sent back after connecting a calendar: only to an allowed origin
(SLOTWISE_OAUTH_RETURN_ORIGINS), or the callback would be an open redirect.

An origin is scheme, host and port, compared exactly (RFC 6454). A URL is judged only when a browser
cannot read it differently from Python's `urlsplit`: userinfo, backslashes, whitespace, control and
non-ASCII characters are refused outright rather than interpreted.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings

from booking.domain.errors import InvalidValue
from providers.urls import split

Origin = tuple[str, str, int]

MAX_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}
PLAIN = re.compile(r"[\x21-\x7e]+")  # printable ASCII without the space: nothing for a browser to strip or fold


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL written plainly; None for anything else."""
    if len(url) > MAX_LENGTH or not PLAIN.fullmatch(url) or "\\" in url:
        return None
    parts = split(url)
    if parts is None:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return None
    return scheme, parts.hostname, DEFAULT_PORTS[scheme] if port is None else port


def allowed_origins() -> frozenset[Origin]:
    """The origins SLOTWISE_OAUTH_RETURN_ORIGINS allows, parsed once for each value the setting takes."""
    return _parsed(tuple(settings.SLOTWISE_OAUTH_RETURN_ORIGINS))


@functools.lru_cache(maxsize=8)
def _parsed(configured: tuple[str, ...]) -> frozenset[Origin]:
    # start-up (booking.settings.providers) has refused any origin that origin_of cannot read
    found = (origin_of(origin) for origin in configured)
    return frozenset(origin for origin in found if origin is not None)


def checked_return_to(url: str | None) -> str | None:
    """`url` if the browser may go there afterwards; InvalidValue naming `returnTo` otherwise."""
    if url is None:
        return None
    origin = origin_of(url)
    if origin is None:
        raise InvalidValue.single("returnTo", "must be a plain absolute http(s) URL")
    if origin not in allowed_origins():
        raise InvalidValue.single("returnTo", "must be on an allowed origin (SLOTWISE_OAUTH_RETURN_ORIGINS)")
    return url
