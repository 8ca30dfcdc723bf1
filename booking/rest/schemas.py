"""Request bodies and parameters, camelCase on the wire. Shapes and types here; business ranges in
the domain.

The OpenAPI document also shows what the domain checks (ranges, list limits, patterns), taken from
the same constants, so that what the document allows is what the API accepts: the schemathesis run
in `tests/integration/test_openapi_fuzz.py` holds the two together. Those extras only describe;
the domain still decides, with its own message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from booking import inputs
from booking.domain.event_type import LIMITS, MAX_REMINDERS, NULLABLE, REMINDER_MINUTES
from booking.domain.schedule import WEEKDAYS


def _checked(problem_of: Callable[[str], str | None], code: str) -> AfterValidator:
    """Runs one of `booking.inputs`' rules, so REST and GraphQL refuse exactly the same text."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem is not None:
            raise PydanticCustomError(code, problem)
        return value

    return AfterValidator(check)


def _whole(value: Any) -> Any:
    """JSON has one kind of number: 80.0 is the integer 80 (as JSON Schema's `integer` says), 80.5 is not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A whole number as JSON means one; never a string or a boolean
WholeNumber = Annotated[StrictInt, BeforeValidator(_whole)]


def shown(**schema: Any) -> Any:
    """What the document shows of a value the domain checks (see the module's docstring)."""
    return Field(json_schema_extra=schema)


_LINE = _checked(inputs.text_problem, "plain_text")

# Every text field of every body is one of these; the rules themselves live in booking.inputs.
# Lengths come before the check, so pydantic reports them as string lengths.
PlainText = Annotated[StrictStr, _LINE, shown(pattern=inputs.PLAIN_TEXT_PATTERN)]
Slug = Annotated[
    StrictStr,
    Field(max_length=100, description="lower-case letters, digits and single hyphens"),
    _LINE,
    shown(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
]
Title = Annotated[StrictStr, Field(max_length=200), _LINE, shown(pattern=inputs.NOT_BLANK_PATTERN)]
Name = Annotated[
    StrictStr,
    _checked(inputs.name_problem, "name"),
    shown(minLength=1, maxLength=inputs.MAX_NAME, pattern=inputs.NOT_BLANK_PATTERN),
]
# The zones this process knows are listed once, as the TimeZone component: booking.rest.api puts
# it in and points every schema marked with ZONE at it.
ZONE = "x-slotwise-time-zone"
TimeZone = Annotated[StrictStr, Field(max_length=64), _LINE, WithJsonSchema({"type": "string", ZONE: True})]
FreeText = Annotated[
    StrictStr,
    _checked(lambda value: inputs.text_problem(value, multiline=True), "free_text"),
    shown(pattern=inputs.FREE_TEXT_PATTERN),
]
Email = Annotated[
    StrictStr, Field(max_length=inputs.MAX_EMAIL), _checked(inputs.email_problem, "email"), shown(format="email")
]
Url = Annotated[StrictStr, _checked(inputs.url_text_problem, "url"), shown(format="uri")]
# A date's documented shape, for bodies and query parameters alike
DATE: dict[str, Any] = {"pattern": inputs.DATE_PATTERN, "format": "date", "maxLength": 10}
Date = Annotated[StrictStr, Field(description=f"YYYY-MM-DD, in the years {inputs.YEARS}"), shown(**DATE)]
Instant = Annotated[
    StrictStr,
    Field(max_length=32, description=f"RFC 3339 instant with an offset, in the years {inputs.YEARS}"),
    shown(pattern=inputs.INSTANT_PATTERN, format="date-time"),
]
HOUR_MINUTE = r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


def _within(name: str) -> Any:
    """What the document shows of an event type's whole-number setting: the domain's LIMITS."""
    low, high = LIMITS[name]
    return shown(minimum=low, maximum=high)


LengthInMinutes = Annotated[WholeNumber, _within("length_in_minutes")]
BufferBeforeMinutes = Annotated[WholeNumber, _within("buffer_before_minutes")]
BufferAfterMinutes = Annotated[WholeNumber, _within("buffer_after_minutes")]
MinimumNoticeMinutes = Annotated[WholeNumber, _within("minimum_notice_minutes")]
SlotIntervalMinutes = Annotated[WholeNumber, _within("slot_interval_minutes")]
MaxBookingsPerDay = Annotated[WholeNumber, _within("max_bookings_per_day")]
BookingWindowDays = Annotated[WholeNumber, _within("booking_window_days")]
Reminders = Annotated[
    list[WholeNumber],
    shown(
        maxItems=MAX_REMINDERS,
        uniqueItems=True,
        items={"type": "integer", "minimum": REMINDER_MINUTES[0], "maximum": REMINDER_MINUTES[1]},
    ),
]


def no_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without the `null` that pydantic gives an optional value: one that may be left out
    but not sent as null (a query parameter, or a body field the domain refuses as null)."""
    options = schema.get("anyOf")
    kept = [o for o in options or () if o.get("type") != "null"]
    if options is None or len(kept) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**kept[0], **rest}


def _not_null(*fields: str) -> Callable[[dict[str, Any]], None]:
    """A model's schema in which these (camelCase) properties are optional but never null."""

    def amend(schema: dict[str, Any]) -> None:
        for name in fields:
            if name in schema["properties"]:
                schema["properties"][name] = no_null(schema["properties"][name])

    return amend


def _weekdays_only(schema: dict[str, Any]) -> None:
    """`weekly` is read as a mapping, but only weekday names are keys: the document lists them."""
    (intervals,) = schema.pop("patternProperties").values()
    schema["properties"] = dict.fromkeys(WEEKDAYS, intervals)
    schema["additionalProperties"] = False


class Body(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid")


class HostIn(Body):
    name: Name
    email: Email
    time_zone: TimeZone


class IntervalIn(Body):
    start: Annotated[PlainText, shown(pattern=HOUR_MINUTE)] = Field(max_length=5, description="HH:MM, host-local")
    end: Annotated[PlainText, shown(pattern=HOUR_MINUTE)] = Field(
        max_length=5, description="HH:MM, host-local; 24:00 allowed"
    )


class OverrideIn(Body):
    date: Date
    intervals: list[IntervalIn] = Field(default_factory=list, description="empty = day off")


class ScheduleIn(Body):
    weekly: dict[PlainText, list[IntervalIn]] = Field(
        description="weekday name (monday..sunday) -> intervals", json_schema_extra=_weekdays_only
    )
    overrides: list[OverrideIn] = Field(default_factory=list)


class EventTypeSettings(Body):
    """A change: fields left out stay as they are. Only the two nullable settings may be null."""

    model_config = ConfigDict(
        json_schema_extra=_not_null(
            *(to_camel(name) for name in (*LIMITS, "slug", "title", "reminders") if name not in NULLABLE)
        )
    )

    slug: Slug | None = None
    title: Title | None = None
    length_in_minutes: LengthInMinutes | None = None
    buffer_before_minutes: BufferBeforeMinutes | None = None
    buffer_after_minutes: BufferAfterMinutes | None = None
    minimum_notice_minutes: MinimumNoticeMinutes | None = None
    slot_interval_minutes: SlotIntervalMinutes | None = Field(default=None, description="null: the length")
    max_bookings_per_day: MaxBookingsPerDay | None = Field(default=None, description="null: no limit")
    booking_window_days: BookingWindowDays | None = Field(default=None, description="default 60")
    reminders: Reminders | None = Field(
        default=None,
        description="minutes before the start to email the attendee a reminder: at most 5 distinct, "
        "each 5 to 40320; default [1440, 60]; [] for none",
    )


class EventTypeIn(EventTypeSettings):
    host_id: UUID
    slug: Slug
    title: Title
    length_in_minutes: LengthInMinutes


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
    provider: Annotated[PlainText, shown(enum=["caldav"])] = Field(max_length=16)
    url: Url = Field(min_length=1, max_length=500, description="the CalDAV calendar collection URL")
    username: PlainText = Field(max_length=254)
    password: PlainText = Field(max_length=1000, description="stored encrypted; never shown again")
