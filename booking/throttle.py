"""Request limits on the public endpoints, per client address and per event type.

Booking, rescheduling and cancelling are writes; asking for slots is a read. Each kind has a
budget per client address and one per event type (booking/settings/throttle.py), and REST and
GraphQL draw on the same budgets, so neither API is a way around the other. The address is
taken first: one address out of budget spends nothing of the event type's. A reschedule or
cancel takes its address's budget before it runs and its event type's in the command
(booking.bookings), once the caller is let in and the booking, so its event type, is known. A
refusal is `RateLimited`, which each API answers with 429 and Retry-After (a GraphQL mutation
refused while it runs, with a typed `rate_limited` error). A caller with a valid organisation key
is not counted on its own organisation's event types and bookings: it is authenticated, and
accountable for what it sends there. On another organisation's it is counted like anyone (a key
is no pass to another tenant's slots); a reschedule or cancel by a key holder is therefore
counted, address and event type alike, by the command, once its booking shows whose it is.

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
    event_type: UUID | None = None  # None: not known; only the address's budget is taken
    change: bool = False  # a reschedule or cancel: its booking, so its event type, is known later


def public_write(request: HttpRequest, event_type: UUID, organisation: UUID | None) -> None:
    """Takes one booking from the caller's budget, then from the event type's. `organisation`: the
    caller's, from a valid key (see `key_holder`)."""
    check(request, [Ask(WRITE, event_type)], organisation)


def public_change(request: HttpRequest, organisation: UUID | None) -> None:
    """A reschedule or cancel, before its command runs: an anonymous caller's address budget (the
    command takes the rest with `change_write`)."""
    check(request, [Ask(WRITE, change=True)], organisation)


def public_read(request: HttpRequest, event_type: UUID | None, organisation: UUID | None) -> None:
    """Takes one read (slots) from the caller's and the event type's budgets."""
    check(request, [Ask(READ, event_type)], organisation)


def change_write(address: str | None, organisation: UUID | None, owner: UUID, event_type: UUID) -> None:
    """A reschedule or cancel, once its booking is known (whose it is: `owner`, and its event type):
    nothing for the owner's own key; for a key of another organisation, the address budget the edge
    left to this moment; for everyone, the event type's. `address`: the caller's, as budgets count
    it (`client_address`)."""
    if not active() or organisation == owner:
        return
    if organisation is not None:
        _take(f"public:{WRITE}:address:{address or 'unknown'}", _address_rate(WRITE), 1, WRITE, "address")
    _take(f"public:{WRITE}:event-type:{event_type}", _event_type_rate(WRITE), 1, WRITE, "event type")


def check(request: HttpRequest, asks: Iterable[Ask], organisation: UUID | None) -> None:
    """Takes every ask from its budgets, addresses first; raises RateLimited at the first one spent.
    A key holder (`organisation`) is spared the asks on its own organisation's event types, and
    leaves its changes to their commands (`change_write`); the rest count as anyone's."""
    if not active():
        return
    asked = list(asks)
    owners = _owners({ask.event_type for ask in asked if ask.event_type is not None}) if organisation else {}
    wanted = [ask for ask in asked if not _spared(ask, organisation, owners)]
    if not wanted:
        return
    address = client_address(request)
    for kind, n in collections.Counter(ask.kind for ask in wanted).items():
        _take(f"public:{kind}:address:{address}", _address_rate(kind), n, kind, "address")
    concerned = ((ask.kind, ask.event_type) for ask in wanted if _event_type_rate(ask.kind))
    for (kind, event_type_id), n in collections.Counter(c for c in concerned if c[1] is not None).items():
        _take(f"public:{kind}:event-type:{event_type_id}", _event_type_rate(kind), n, kind, "event type")


def _spared(ask: Ask, organisation: UUID | None, owners: dict[UUID, UUID | None]) -> bool:
    if organisation is None:
        return False
    return ask.change or (ask.event_type is not None and owners.get(ask.event_type) == organisation)


def _owners(event_types: set[UUID]) -> dict[UUID, UUID | None]:
    """The organisation each event type belongs to (None for one that does not exist), each read once
    however many of a document's fields name it."""
    return {event_type: _owner(event_type) for event_type in event_types}


def _owner(event_type: UUID) -> UUID | None:
    try:
        return get_app().event_type(event_type).organisation_id
    except NotFound:
        return None


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
