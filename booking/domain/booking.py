"""A booking: one invitee's meeting with a host, from creation through reschedules to cancel."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain.errors import BookingCancelled, CancelTokenExpired, NotFound

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
        self.token_generation = 0  # the cancel token is derived from it: a new generation, a new token

    @property
    def uid(self) -> UUID:
        return self.id

    def reschedule(self, start: datetime, end: datetime, reserved_dates: list[str]) -> None:
        """Moves the booking; its cancel token rotates (the one that asked gets the new one)."""
        self.ensure_live()
        self._reschedule(
            from_start=self.start,
            from_end=self.end,
            to_start=start,
            to_end=end,
            reserved_dates=reserved_dates,
            token_generation=self.token_generation + 1,
        )

    @event("Rescheduled")
    def _reschedule(
        self,
        from_start: datetime,
        from_end: datetime,
        to_start: datetime,
        to_end: datetime,
        reserved_dates: list[str],
        token_generation: int | None = None,
    ) -> None:
        self.start = to_start
        self.end = to_end
        self.reserved_dates = reserved_dates
        if token_generation is not None:  # reschedules stored before tokens rotated kept theirs
            self.token_generation = token_generation

    def revoke_cancel_token(self) -> None:
        """The current cancel token stops working; the next generation's token replaces it."""
        self._revoke_cancel_token(token_generation=self.token_generation + 1)

    @event("CancelTokenRevoked")
    def _revoke_cancel_token(self, token_generation: int) -> None:
        self.token_generation = token_generation

    def token_live(self, now: datetime) -> bool:
        """A cancel token opens the booking until it ends; the organisation's key has no such limit."""
        return now < self.end

    def ensure_token_live(self, now: datetime) -> None:
        """CancelTokenExpired once the token no longer opens the booking (`token_live`)."""
        if not self.token_live(now):
            raise CancelTokenExpired("the cancel token expired when the booking ended", "X-Cancel-Token")

    def ensure_token_generation(self, generation: int | None) -> None:
        """A token holder's change loses to a rotation or revocation that committed after the token
        was checked: the token is dead, as if it had never matched. None: not a token holder."""
        if generation is not None and generation != self.token_generation:
            raise NotFound("no such booking", "uid")

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
