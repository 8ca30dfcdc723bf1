"""A booking: one invitee's meeting with a host, from creation through reschedules to cancel."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain.errors import BookingCancelled

ACCEPTED = "accepted"
CANCELLED = "cancelled"


class Booking(Aggregate):
    @event("Created")
    def __init__(
        self,
        organisation_id: UUID,
        host_id: UUID,
        event_type_id: UUID,
        start: datetime,
        end: datetime,
        attendee: dict[str, str],
        reserved_dates: list[str],
    ) -> None:
        self.organisation_id = organisation_id
        self.host_id = host_id
        self.event_type_id = event_type_id
        self.start = start
        self.end = end
        self.attendee = attendee
        self.reserved_dates = reserved_dates  # host-local dates whose CalendarDay holds our time
        self.status = ACCEPTED
        self.cancellation_reason: str | None = None

    @property
    def uid(self) -> UUID:
        return self.id

    def reschedule(self, start: datetime, end: datetime, reserved_dates: list[str]) -> None:
        self.ensure_live()
        self._reschedule(
            from_start=self.start, from_end=self.end, to_start=start, to_end=end, reserved_dates=reserved_dates
        )

    @event("Rescheduled")
    def _reschedule(
        self, from_start: datetime, from_end: datetime, to_start: datetime, to_end: datetime, reserved_dates: list[str]
    ) -> None:
        self.start = to_start
        self.end = to_end
        self.reserved_dates = reserved_dates

    def ensure_live(self) -> None:
        if self.status == CANCELLED:
            raise BookingCancelled("the booking is cancelled", "uid")

    def cancel(self, reason: str) -> None:
        self.ensure_live()
        self._cancel(reason=reason)

    @event("Cancelled")
    def _cancel(self, reason: str) -> None:
        self.status = CANCELLED
        self.cancellation_reason = reason
