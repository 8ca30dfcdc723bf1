"""A host: who is booked, in which time zone, and when they work."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain.schedule import Primitive, Schedule


class Host(Aggregate):
    @event("Registered")
    def __init__(self, organisation_id: UUID, name: str, email: str, time_zone: str) -> None:
        self.organisation_id = organisation_id
        self.name = name
        self.email = email
        self.time_zone = time_zone
        self.weekly: Primitive = {}
        self.overrides: Primitive = {}

    @property
    def schedule(self) -> Schedule:
        return Schedule.from_primitives(self.weekly, self.overrides)

    def change_schedule(self, schedule: Schedule) -> None:
        """Replaces the working hours; existing bookings are never touched by this."""
        weekly, overrides = schedule.as_primitives()
        self._change_schedule(weekly=weekly, overrides=overrides)

    @event("ScheduleChanged")
    def _change_schedule(self, weekly: Primitive, overrides: Primitive) -> None:
        self.weekly = weekly
        self.overrides = overrides
