"""An aggregate repository whose cache is safe to share between the threads of one process.

eventsourcing 9.5.6's `Repository.get` locks only the fast-forward of a cached aggregate; the
deepcopy it hands out happens after the lock is released, so one thread can copy an aggregate
while another is applying new events to it (`dictionary changed size during iteration`, or a
copy whose state belongs to no stored version). Here one lock per aggregate id covers the cache
lookup, the fast-forward and the copy; different aggregates never wait for each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Cache, Repository, project_aggregate


class KeyedLocks:
    """One lock per key while anyone holds or waits for it; forgotten when the last one leaves."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[UUID, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: UUID) -> Iterator[None]:
        lock = self._enter(key)
        try:
            with lock:
                yield
        finally:
            self._leave(key)

    def _enter(self, key: UUID) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
            return lock

    def _leave(self, key: UUID) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class ThreadSafeRepository(Repository[UUID]):
    """A `Repository` whose cached reads are serialised per aggregate id (and only those)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers = KeyedLocks()

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        """The aggregate, fast-forwarded to the store's latest version and copied under its own lock.

        Skipping the fast-forward is not offered: a reader that skipped would copy an aggregate
        while the thread holding the lock mutates it.
        """
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, projector_func=projector_func)
        with self._readers.hold(aggregate_id):
            aggregate = self._cached(self.cache, aggregate_id, projector_func)
            return deepcopy(aggregate) if deepcopy_from_cache and self.deepcopy_from_cache else aggregate

    def _cached(self, cache: Cache[UUID, Any], aggregate_id: UUID, projector_func: Any) -> Any:
        try:
            aggregate = cache.get(aggregate_id)
        except KeyError:
            aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
            cache.put(aggregate_id, aggregate)
            return aggregate
        if not self.fastforward:
            return aggregate
        newer = self.event_store.get(originator_id=aggregate_id, gt=aggregate.version)
        forwarded = projector_func(aggregate, newer)
        if forwarded is None:
            raise AggregateNotFoundError(aggregate_id)
        return forwarded
