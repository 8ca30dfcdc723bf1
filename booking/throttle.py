"""Request limits on the public endpoints, per client address and per event type.

Booking, rescheduling and cancelling are writes; asking for slots is a read. Each kind has a
budget per client address and one per event type (booking/settings/throttle.py), and REST and
GraphQL draw on the same budgets, so neither API is a way around the other. The address is
taken first: one address out of budget spends nothing of the event type's. A refusal is
`RateLimited`, which each API answers with 429 and Retry-After.

The client address is booking.clients.client_ip (REMOTE_ADDR, or behind trusted proxies the
entry the outermost one appended to X-Forwarded-For). IPv6 clients are counted per /64 (one
customer's network), loopback clients like any other.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from prometheus_client import Counter
from redis.exceptions import RedisError

from booking.bootstrap import get_app
from booking.clients import client_ip
from booking.domain.errors import NotFound
from providers.gcra import Rate
from providers.resilience import shared_budget

log = logging.getLogger("slotwise.throttle")
WRITE, READ = "write", "read"
REFUSED = Counter(
    "slotwise_rate_limited",
    "Public requests refused with 429, by the budget that was spent (kind, address or event type).",
    ["budget"],
)

EventTypeOf = UUID | None | Callable[[], UUID | None]  # known, unknown, or found only when needed


class RateLimited(Exception):
    """A budget is spent: the request was not served. Retry after `retry_after` whole seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass(frozen=True)
class Ask:
    """One limited operation in a request: its kind and the event type it concerns."""

    kind: str
    event_type: EventTypeOf = None


def public_write(request: HttpRequest, event_type: EventTypeOf) -> None:
    """Takes one write (book, reschedule, cancel) from the caller's and the event type's budgets."""
    check(request, [Ask(WRITE, event_type)])


def public_read(request: HttpRequest, event_type: EventTypeOf) -> None:
    """Takes one read (slots) from the caller's and the event type's budgets."""
    check(request, [Ask(READ, event_type)])


def of_booking(uid: UUID) -> Callable[[], UUID | None]:
    """The event type of a booking, looked up only once the address has budget left."""

    def event_type() -> UUID | None:
        try:
            return get_app().booking(uid).event_type_id
        except NotFound:
            return None  # the command answers 404 itself

    return event_type


def check(request: HttpRequest, asks: Iterable[Ask]) -> None:
    """Takes every ask from its budgets, addresses first; raises RateLimited at the first one spent."""
    if settings.SLOTWISE_PUBLIC_RATE_LIMIT is None:
        return  # `off`: every public limit is off
    wanted = list(asks)
    address = client_address(request)
    for kind, n in collections.Counter(ask.kind for ask in wanted).items():
        _take(f"public:{kind}:address:{address}", _address_rate(kind), n, kind, "address")
    concerned = ((ask.kind, _resolved(ask.event_type)) for ask in wanted if _event_type_rate(ask.kind))
    for (kind, event_type_id), n in collections.Counter(c for c in concerned if c[1] is not None).items():
        _take(f"public:{kind}:event-type:{event_type_id}", _event_type_rate(kind), n, kind, "event type")


def client_address(request: HttpRequest) -> str:
    """The caller's address as budgets count it: IPv4 as is, IPv6 as its /64."""
    found = client_ip(request)
    if found is None:
        return "unknown"
    if isinstance(found, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((int(found) >> 64 << 64, 64)))
    return str(found)


def _take(name: str, rate: Rate | None, n: int, kind: str, per: str) -> None:
    if rate is None:
        return
    try:
        wait = shared_budget(name, rate, n)
    except (RedisError, DatabaseError) as error:  # availability first: a limit store that fails lets requests through
        log.warning("rate limit store unreachable: request let through", extra={"budget": name, "error": repr(error)})
        return
    if wait > 0:
        REFUSED.labels(f"{kind} per {per}").inc()
        whose = "from this address" if per == "address" else "for this event type"
        raise RateLimited(f"too many {_NOUNS[kind]} {whose} (at most {rate}); retry later", wait)


_NOUNS = {WRITE: "bookings, reschedules and cancellations", READ: "slot lookups"}


def _address_rate(kind: str) -> Rate | None:
    rate: Rate | None = (
        settings.SLOTWISE_PUBLIC_RATE_LIMIT if kind == WRITE else settings.SLOTWISE_PUBLIC_READ_RATE_LIMIT
    )
    return rate


def _event_type_rate(kind: str) -> Rate | None:
    rate: Rate | None = (
        settings.SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT
        if kind == WRITE
        else settings.SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT
    )
    return rate


def _resolved(event_type: EventTypeOf) -> UUID | None:
    return event_type() if callable(event_type) else event_type
