"""An aggregate repository whose cache is safe to share between the threads of one process.

eventsourcing 9.5.6's `Repository.get` holds its per-aggregate fast-forward lock only while it
fast-forwards a cached aggregate; the deepcopy it hands out happens after the lock is released,
so one thread can copy an aggregate while another is applying new events to it (`dictionary
changed size during iteration`, or a copy whose state belongs to no stored version). Here the
same upstream lock (reference-counted per aggregate id, `_use_fastforward_lock`) is held across
the cache lookup, the fast-forward and the copy; different aggregates never wait for each other.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Cache, Repository, project_aggregate


class ThreadSafeRepository(Repository[UUID]):
    """A `Repository` whose cached reads are serialised per aggregate id (and only those)."""

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        """The aggregate, fast-forwarded to the store's latest version and copied under its lock.

        With fast-forward skipping (asked for here or by AGGREGATE_CACHE_FASTFORWARD_SKIPPING, off
        by default), a reader that finds another one fast-forwarding does not do it again: it waits
        for that one to finish and copies what it left, never an aggregate in the middle of being
        changed. That copy may be a moment behind the store, so a command deciding on it cannot
        double-book (its write is refused on the version, and it decides again) but can refuse a
        slot freed a moment ago.
        """
        if self.cache is None or version is not None:
            return super().get(
                aggregate_id, version=version, projector_func=projector_func, deepcopy_from_cache=deepcopy_from_cache
            )
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            forward = lock.acquire(blocking=not (fastforward_skipping or self.fastforward_skipping))
            if not forward:
                lock.acquire()
            try:
                aggregate = self._cached(self.cache, aggregate_id, projector_func, forward)
                return deepcopy(aggregate) if deepcopy_from_cache and self.deepcopy_from_cache else aggregate
            finally:
                lock.release()
        finally:
            self._disuse_fastforward_lock(aggregate_id)

    def _cached(self, cache: Cache[UUID, Any], aggregate_id: UUID, projector_func: Any, forward: bool) -> Any:
        try:
            aggregate = cache.get(aggregate_id)
        except KeyError:
            aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
            cache.put(aggregate_id, aggregate)
            return aggregate
        if not (self.fastforward and forward):
            return aggregate
        newer = self.event_store.get(originator_id=aggregate_id, gt=aggregate.version)
        forwarded = projector_func(aggregate, newer)
        if forwarded is None:
            raise AggregateNotFoundError(aggregate_id)
        return forwarded
