"""Request bodies, camelCase on the wire. Shapes and types here; business ranges in the domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictInt, StrictStr
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from booking import inputs


def _checked(problem_of: Callable[[str], str | None], code: str) -> AfterValidator:
    """Runs one of `booking.inputs`' rules, so REST and GraphQL refuse exactly the same text."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem is not None:
            raise PydanticCustomError(code, problem)
        return value

    return AfterValidator(check)


_LINE = _checked(inputs.text_problem, "plain_text")
_LINE_PATTERN = Field(json_schema_extra={"pattern": inputs.PLAIN_TEXT_PATTERN})

# Every text field of every body is one of these; the rules themselves live in booking.inputs.
# Lengths come before the check, so pydantic reports them as string lengths.
PlainText = Annotated[StrictStr, _LINE, _LINE_PATTERN]
Slug = Annotated[
    StrictStr, Field(max_length=100, description="lower-case letters, digits and single hyphens"), _LINE, _LINE_PATTERN
]
Title = Annotated[StrictStr, Field(max_length=200), _LINE, _LINE_PATTERN]
TimeZone = Annotated[
    StrictStr, Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin"), _LINE, _LINE_PATTERN
]
FreeText = Annotated[
    StrictStr,
    _checked(lambda value: inputs.text_problem(value, multiline=True), "free_text"),
    Field(json_schema_extra={"pattern": inputs.FREE_TEXT_PATTERN}),
]
Name = Annotated[
    StrictStr,
    Field(min_length=1, max_length=200),
    _checked(lambda value: inputs.text_problem(value) or (None if value.strip() else "must not be blank"), "name"),
    _LINE_PATTERN,
]
Email = Annotated[
    StrictStr,
    Field(max_length=inputs.MAX_EMAIL, json_schema_extra={"format": "email"}),
    _checked(inputs.email_problem, "email"),
]
Url = Annotated[StrictStr, _checked(inputs.url_text_problem, "url"), Field(json_schema_extra={"format": "uri"})]
Instant = Annotated[
    StrictStr,
    Field(
        max_length=32,
        description=f"RFC 3339 instant with an offset, in the years {inputs.YEARS}",
        json_schema_extra={"pattern": inputs.INSTANT_PATTERN, "format": "date-time"},
    ),
]


class Body(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")


class HostIn(Body):
    name: Name
    email: Email
    time_zone: TimeZone


class IntervalIn(Body):
    start: PlainText = Field(max_length=5, description="HH:MM, host-local")
    end: PlainText = Field(max_length=5, description="HH:MM, host-local; 24:00 allowed")


class OverrideIn(Body):
    date: PlainText = Field(max_length=10, description=f"YYYY-MM-DD, in the years {inputs.YEARS}")
    intervals: list[IntervalIn] = Field(default_factory=list, description="empty = day off")


class ScheduleIn(Body):
    weekly: dict[PlainText, list[IntervalIn]] = Field(description="weekday name (monday..sunday) -> intervals")
    overrides: list[OverrideIn] = Field(default_factory=list)


class EventTypeSettings(Body):
    slug: Slug | None = None
    title: Title | None = None
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
    slug: Slug
    title: Title
    length_in_minutes: StrictInt


class AttendeeIn(Body):
    name: Name
    email: Email
    time_zone: TimeZone


class BookingIn(Body):
    event_type_id: UUID
    start: Instant
    attendee: AttendeeIn


class RescheduleIn(Body):
    start: Instant


class CancelIn(Body):
    reason: FreeText = Field(
        default="", max_length=500, description="free text: line feeds and tabs allowed, no other control characters"
    )


class CalendarIn(Body):
    provider: PlainText = Field(max_length=16, description="caldav")
    url: Url = Field(min_length=1, max_length=500, description="the CalDAV calendar collection URL")
    username: PlainText = Field(max_length=254)
    password: PlainText = Field(max_length=1000, description="stored encrypted; never shown again")
