"""A host's calendar for one local date: the aggregate bookings reserve time on.

Two bookings that could overlap always touch the same CalendarDay, so concurrent writers
collide on its version in the event store: no double booking, by construction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain import ids
from booking.domain.availability import Reservation
from booking.domain.errors import SlotUnavailable


class CalendarDay(Aggregate):
    @staticmethod
    def create_id(host_id: UUID, local_date: str, **_: Any) -> UUID:
        return ids.calendar_day_id(host_id, date.fromisoformat(local_date))

    @event("Opened")
    def __init__(self, host_id: UUID, local_date: str) -> None:
        self.host_id = host_id
        self.local_date = local_date
        self.held: dict[str, dict[str, Any]] = {}

    @property
    def reservations(self) -> list[Reservation]:
        return [_reservation(uid, fields) for uid, fields in self.held.items()]

    def reserve(self, wanted: Reservation) -> None:
        """Holds time for a booking; refuses anything that conflicts with what is held."""
        if any(wanted.conflicts_with(r) for r in self.reservations if r.booking_uid != wanted.booking_uid):
            raise SlotUnavailable("the slot is taken or overlaps another booking or its buffer", "start")
        self._reserve(
            booking_uid=wanted.booking_uid,
            event_type_id=wanted.event_type_id,
            start=wanted.start,
            end=wanted.end,
            blocked_start=wanted.blocked_start,
            blocked_end=wanted.blocked_end,
            start_date=wanted.start_date.isoformat(),
        )

    @event("SlotReserved")
    def _reserve(
        self,
        booking_uid: UUID,
        event_type_id: UUID,
        start: datetime,
        end: datetime,
        blocked_start: datetime,
        blocked_end: datetime,
        start_date: str,
    ) -> None:
        self.held[str(booking_uid)] = {
            "event_type_id": event_type_id,
            "start": start,
            "end": end,
            "blocked_start": blocked_start,
            "blocked_end": blocked_end,
            "start_date": start_date,
        }

    def release(self, booking_uid: UUID) -> None:
        if str(booking_uid) in self.held:
            self._release(booking_uid=booking_uid)

    @event("SlotReleased")
    def _release(self, booking_uid: UUID) -> None:
        del self.held[str(booking_uid)]


def _reservation(uid: str, f: dict[str, Any]) -> Reservation:
    return Reservation(
        booking_uid=UUID(uid),
        event_type_id=f["event_type_id"],
        start=f["start"],
        end=f["end"],
        blocked_start=f["blocked_start"],
        blocked_end=f["blocked_end"],
        start_date=date.fromisoformat(f["start_date"]),
    )
