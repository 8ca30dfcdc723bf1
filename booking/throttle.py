"""Request limits on the public endpoints, per client address and per event type.

Booking, rescheduling and cancelling are writes; asking for slots is a read. Each kind has a
budget per client address and one per event type (booking/settings/throttle.py), and REST and
GraphQL draw on the same budgets, so neither API is a way around the other. The address is
taken first: one address out of budget spends nothing of the event type's. A reschedule or
cancel takes its address's budget before it runs and its event type's in the command
(booking.bookings), once the caller is let in and the booking, so its event type, is known. A
refusal is `RateLimited`, which each API answers with 429 and Retry-After (a GraphQL mutation
refused while it runs, with a typed `rate_limited` error). Callers with a valid organisation key
are not counted: they are authenticated, and accountable for what they send.

The client address is booking.clients.client_ip (REMOTE_ADDR, or behind trusted proxies the
entry the outermost one appended to X-Forwarded-For). IPv6 clients are counted per /64 (one
customer's network), loopback clients like any other.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from prometheus_client import Counter
from redis.exceptions import RedisError

from booking.auth import InvalidKey, optional_organisation
from booking.clients import client_ip
from providers.gcra import Rate
from providers.resilience import shared_budget

log = logging.getLogger("slotwise.throttle")
WRITE, READ = "write", "read"
REFUSED = Counter(
    "slotwise_rate_limited",
    "Public requests refused with 429, by the budget that was spent (kind, address or event type).",
    ["budget"],
)


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
    event_type: UUID | None = None  # None: not known (yet); only the address's budget is taken


def public_write(request: HttpRequest, event_type: UUID | None, organisation: UUID | None) -> None:
    """Takes one write from the caller's budget, then from the event type's (None: a reschedule or
    cancel, whose event type the command takes from with `event_type_write`). `organisation`: the
    caller's, from a valid key (see `key_holder`)."""
    check(request, [Ask(WRITE, event_type)], organisation)


def public_read(request: HttpRequest, event_type: UUID | None, organisation: UUID | None) -> None:
    """Takes one read (slots) from the caller's and the event type's budgets."""
    check(request, [Ask(READ, event_type)], organisation)


def event_type_write(event_type: UUID, organisation: UUID | None) -> None:
    """Takes one write from the event type's budget: a reschedule or cancel, once its booking is
    known (its address's budget was taken before the command ran)."""
    if not active() or organisation is not None:
        return
    _take(f"public:{WRITE}:event-type:{event_type}", _event_type_rate(WRITE), 1, WRITE, "event type")


def check(request: HttpRequest, asks: Iterable[Ask], organisation: UUID | None) -> None:
    """Takes every ask from its budgets, addresses first; raises RateLimited at the first one spent.
    A caller with a valid organisation key (`organisation`) is not counted: it is authenticated,
    and accountable for what it sends."""
    if not active() or organisation is not None:
        return
    wanted = list(asks)
    address = client_address(request)
    for kind, n in collections.Counter(ask.kind for ask in wanted).items():
        _take(f"public:{kind}:address:{address}", _address_rate(kind), n, kind, "address")
    concerned = ((ask.kind, ask.event_type) for ask in wanted if _event_type_rate(ask.kind))
    for (kind, event_type_id), n in collections.Counter(c for c in concerned if c[1] is not None).items():
        _take(f"public:{kind}:event-type:{event_type_id}", _event_type_rate(kind), n, kind, "event type")


def active() -> bool:
    """Whether any public budget is on (SLOTWISE_PUBLIC_RATE_LIMITS, and at least one rate)."""
    rates = (
        settings.SLOTWISE_PUBLIC_RATE_LIMIT,
        settings.SLOTWISE_PUBLIC_READ_RATE_LIMIT,
        settings.SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT,
        settings.SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT,
    )
    return bool(settings.SLOTWISE_PUBLIC_RATE_LIMITS) and any(rate is not None for rate in rates)


def key_holder(request: HttpRequest) -> UUID | None:
    """The organisation of the valid key a request carries, for endpoints that do not ask for one;
    None without a key, or for a bad one (counted as anyone: the endpoint ignores it)."""
    if not request.headers.get("Authorization") or not active():
        return None  # no key to look up, or nothing it would spare
    try:
        return optional_organisation(request)
    except InvalidKey:
        return None


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
