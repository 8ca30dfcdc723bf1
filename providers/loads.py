"""What a batch of side effects reads from the event store, read once for the batch.

A booking event asks for two emails (attendee and host) and often a calendar sync; a batch of
them reads the same booking, host and event type again and again. Within one batch each is
read once: the host's name and the event type's title as they are while the batch runs, the
booking at the version its event left it, so each email still describes its own event (rebuilt
from the booking's events, read once for every version). Nothing is kept past the batch, so
nothing can go stale."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate

from booking.application import Slotwise
from booking.bootstrap import get_app
from booking.domain.booking import Booking
from booking.domain.event_type import EventType
from booking.domain.host import Host

T = TypeVar("T")


class Loads:
    def __init__(self, app: Slotwise | None = None) -> None:
        self.app = app or get_app()
        self._events: dict[UUID, list[Any]] = {}
        self._bookings: dict[tuple[UUID, int], Booking] = {}
        self._hosts: dict[tuple[UUID, UUID], Host] = {}
        self._event_types: dict[UUID, EventType] = {}
        self._made: dict[Hashable, Any] = {}

    def events(self, aggregate_id: UUID) -> list[Any]:
        """The aggregate's stored events, oldest first."""
        if aggregate_id not in self._events:
            self._events[aggregate_id] = list(self.app.events.get(aggregate_id))
        return self._events[aggregate_id]

    def booking(self, uid: UUID, version: int) -> Booking:
        """The booking as it was at `version`."""
        if (uid, version) not in self._bookings:
            # from the events this batch read anyway (`events`), not another read of the store
            found: Any = project_aggregate(None, [e for e in self.events(uid) if e.originator_version <= version])
            if found is None:
                raise AggregateNotFoundError(uid)
            if not isinstance(found, Booking):  # an explicit check: `python -O` strips asserts
                raise TypeError(f"aggregate {uid} is not a booking")
            self._bookings[(uid, version)] = found
        return self._bookings[(uid, version)]

    def host(self, organisation_id: UUID, host_id: UUID) -> Host:
        if (organisation_id, host_id) not in self._hosts:
            self._hosts[(organisation_id, host_id)] = self.app.host(organisation_id, host_id)
        return self._hosts[(organisation_id, host_id)]

    def event_type(self, event_type_id: UUID) -> EventType:
        if event_type_id not in self._event_types:
            self._event_types[event_type_id] = self.app.event_type(event_type_id)
        return self._event_types[event_type_id]

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """What `make` gives, made once per batch for every row that asks by the same `key`."""
        if key not in self._made:
            self._made[key] = make()
        made: T = self._made[key]
        return made
