"""One loader per relation, named `<Thing>By<Key>Loader`, created once per request.

graphene 3 dropped promise-based loaders and graphene-django's view is synchronous, so these
are `graphql-sync-dataloaders` loaders: a resolver's `load()` returns a SyncFuture and the
executor (`DeferredExecutionContext`) runs each loader's batch once per level of the query,
so 50 bookings asking for their host make one query, not 50 (docs/adr/0003-graphql.md).
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from graphql_sync_dataloaders import SyncDataLoader, SyncFuture

from booking.domain.event_type import DEFAULT_REMINDERS
from booking.graphql.context import Context
from booking.observability.metrics import RESOLVER_SECONDS
from projections import reads

MAX_RELATED = 100  # the most items a nested list field returns


class Loader(SyncDataLoader):
    context_key: ClassVar[str]

    def __init__(self, context: Context) -> None:
        super().__init__(self._timed)
        self.context = context

    @classmethod
    def of(cls, context: Context) -> Loader:
        if cls.context_key not in context.loaders:
            context.loaders[cls.context_key] = cls(context)
        loader: Loader = context.loaders[cls.context_key]
        return loader

    def prime(self, keys: Sequence[Hashable]) -> None:
        """Loads `keys` now, in one batch, so later `load()`s find finished futures.

        A list resolver that knows its items' relations are wanted primes them: the result is
        the same batch, but the executor skips its deferred-callback path for every item.
        """
        wanted = [key for key in dict.fromkeys(keys) if key not in self._cache]
        if not wanted:
            return
        for key, value in zip(wanted, self._timed(wanted), strict=True):
            future = SyncFuture()
            future.set_result(value)
            self._cache[key] = future

    def value_or_future(self, key: Hashable) -> Any:
        """The value when it is already loaded (no future for the executor to wait on), else a future."""
        future = self.load(key)
        return future.result() if future.done() else future

    def _timed(self, keys: Sequence[Hashable]) -> list[Any]:
        started = time.perf_counter()
        try:
            return self.batch_load(keys)
        finally:
            RESOLVER_SECONDS.labels(field=f"loader:{self.context_key}").observe(time.perf_counter() - started)

    def batch_load(self, keys: Sequence[Any]) -> list[Any]:
        raise NotImplementedError


def _in_order(keys: Sequence[Any], found: dict[Any, Any]) -> list[Any]:
    return [found.get(key) for key in keys]


class HostByIdLoader(Loader):
    context_key = "host_by_id"

    def batch_load(self, keys: Sequence[UUID]) -> list[Any]:
        return _in_order(keys, reads.hosts_by_ids(list(keys)))


class EventTypeByIdLoader(Loader):
    context_key = "event_type_by_id"

    def batch_load(self, keys: Sequence[UUID]) -> list[Any]:
        return _in_order(keys, reads.event_types_by_ids(list(keys)))


class RemindersByEventTypeLoader(Loader):
    """An event type not in the reminders view yet (it lags a moment) shows the default."""

    context_key = "reminders_by_event_type"

    def batch_load(self, keys: Sequence[UUID]) -> list[Any]:
        found = reads.reminders_by_event_types(list(keys))
        return [found.get(key, list(DEFAULT_REMINDERS)) for key in keys]


class EventTypesByHostLoader(Loader):
    """Keys are (host id, first)."""

    context_key = "event_types_by_host"

    def batch_load(self, keys: Sequence[tuple[UUID, int]]) -> list[Any]:
        limit = max(first for _, first in keys)
        found = reads.event_types_by_hosts(sorted({host for host, _ in keys}), limit)
        return [found.get(host, [])[:first] for host, first in keys]


class BookingsByAttendeeLoader(Loader):
    """Keys are (organisation id, attendee email, first): an attendee's bookings with that organisation."""

    context_key = "bookings_by_attendee"

    def batch_load(self, keys: Sequence[tuple[UUID, str, int]]) -> list[Any]:
        limit = max(first for _, _, first in keys)
        by_org: dict[UUID, set[str]] = {}
        for org, email, _ in keys:
            by_org.setdefault(org, set()).add(email)
        found = {
            (org, email): entries
            for org, emails in by_org.items()
            for email, entries in reads.entries_by_attendees(org, sorted(emails), limit).items()
        }
        return [found.get((org, email), [])[:first] for org, email, first in keys]
