"""Request bodies, camelCase on the wire. Shapes and types here; business ranges in the domain."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt, StrictStr
from pydantic.alias_generators import to_camel

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Body(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")


class HostIn(Body):
    name: StrictStr = Field(min_length=1, max_length=200)
    email: StrictStr = Field(max_length=254, pattern=EMAIL)
    time_zone: StrictStr = Field(description="IANA time zone, e.g. Europe/Berlin")


class IntervalIn(Body):
    start: StrictStr = Field(description="HH:MM, host-local")
    end: StrictStr = Field(description="HH:MM, host-local; 24:00 allowed")


class OverrideIn(Body):
    date: StrictStr = Field(description="YYYY-MM-DD")
    intervals: list[IntervalIn] = Field(default_factory=list, description="empty = day off")


class ScheduleIn(Body):
    weekly: dict[str, list[IntervalIn]] = Field(description="weekday name (monday..sunday) -> intervals")
    overrides: list[OverrideIn] = Field(default_factory=list)


class EventTypeSettings(Body):
    slug: StrictStr | None = None
    title: StrictStr | None = None
    length_in_minutes: StrictInt | None = Field(default=None, description="5 to 720")
    buffer_before_minutes: StrictInt | None = None
    buffer_after_minutes: StrictInt | None = None
    minimum_notice_minutes: StrictInt | None = None
    slot_interval_minutes: StrictInt | None = Field(default=None, description="defaults to the length")
    max_bookings_per_day: StrictInt | None = None
    booking_window_days: StrictInt | None = Field(default=None, description="default 60, at most 730")
    reminders: list[StrictInt] | None = Field(
        default=None,
        description="minutes before the start to email the attendee a reminder: at most 5 distinct, "
        "each 5 to 40320; default [1440, 60]; [] for none",
    )


class EventTypeIn(EventTypeSettings):
    host_id: UUID
    slug: StrictStr
    title: StrictStr
    length_in_minutes: StrictInt


class AttendeeIn(Body):
    name: StrictStr = Field(min_length=1, max_length=200)
    email: StrictStr = Field(max_length=254, pattern=EMAIL)
    time_zone: StrictStr


class BookingIn(Body):
    event_type_id: UUID
    start: StrictStr = Field(description="RFC 3339 instant with an offset")
    attendee: AttendeeIn


class RescheduleIn(Body):
    start: StrictStr = Field(description="RFC 3339 instant with an offset")


class CancelIn(Body):
    reason: StrictStr = Field(default="", max_length=500)


class CalendarIn(Body):
    provider: StrictStr = Field(description="caldav")
    url: StrictStr = Field(min_length=1, max_length=500, description="the CalDAV calendar collection URL")
    username: StrictStr = Field(max_length=254)
    password: StrictStr = Field(max_length=1000, description="stored encrypted; never shown again")
