"""Reading a URL someone gave us the way a client library will: the standard library only, so the
settings (which check the return origins at start-up) load without an HTTP client."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def split(url: str) -> SplitResult | None:
    """`url`'s parts, or None where Python's own parse fails or guesses: unbalanced brackets, or
    brackets around anything but an IPv6 address (an IPvFuture `[v1.x]` would be looked up as a
    name). The port is not read here (see `_bad_port`)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": a bracket without its pair
        return None
    bracketed = "[" in parts.netloc
    if bracketed and not isinstance(literal_address(parts.hostname or ""), ipaddress.IPv6Address):
        return None
    return parts


def literal_address(host: str) -> Address | None:
    """The address `host` spells, in any form the OS resolver reads as an address; None for a name."""
    bare = host.split("%", 1)[0].removesuffix(".")  # a zone (fe80::1%eth0) names an interface
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:  # inet_aton is what getaddrinfo uses: 127.1, 2130706433, 0x7f000001, 0177.0.0.1
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except (OSError, UnicodeError, ValueError):
        return None
