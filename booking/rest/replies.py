"""Response shapes, for the OpenAPI document and for tests that hold responses to it.

Views render JSON themselves (presenters); these models describe what they render, and the
contract tests validate real responses against them so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel


class Out(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Meta(Out):
    position: int | None = None
    time_zone: str | None = None
    event_type_id: str | None = None


class Host(Out):
    id: str
    name: str
    email: str
    time_zone: str


class Interval(Out):
    start: str
    end: str


class Override(Out):
    date: str
    intervals: list[Interval]


class Schedule(Out):
    weekly: dict[str, list[Interval]]
    overrides: list[Override]


class EventType(Out):
    id: str
    host_id: str
    slug: str
    title: str
    length_in_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    slot_interval_minutes: int
    max_bookings_per_day: int | None
    booking_window_days: int
    reminders: list[int] = Field(description="minutes before the start at which the attendee is reminded")


class Attendee(Out):
    name: str
    email: str
    time_zone: str


class Booking(Out):
    uid: str
    status: Literal["accepted", "cancelled"]
    start: str
    end: str
    event_type_id: str
    host_id: str
    attendee: Attendee
    cancellation_reason: str | None = None
    cancel_token: str | None = None


class HistoryEntry(Out):
    type: str
    version: int
    occurred_at: str
    data: dict[str, Any]


class Slot(Out):
    start: str


class HostReply(Out):
    data: Host
    meta: Meta | None = None


class HostList(Out):
    data: list[Host]


class ScheduleReply(Out):
    data: Schedule
    meta: Meta | None = None


class EventTypeReply(Out):
    data: EventType
    meta: Meta | None = None


class EventTypeList(Out):
    data: list[EventType]


class BookingReply(Out):
    data: Booking
    meta: Meta | None = None


class HistoryReply(Out):
    data: list[HistoryEntry]


class CalendarStatus(Out):
    calendar_id: str
    provider: str
    status: Literal["ok", "stale", "unavailable"]
    as_of: str | None = Field(description="when its busy times were last read; null if never")


class SlotsMeta(Meta):
    providers: list[CalendarStatus] = Field(
        description="each connected calendar whose busy times were subtracted, and how fresh they are"
    )


class SlotsReply(Out):
    data: dict[str, list[Slot]]
    meta: SlotsMeta


class AgendaEntry(Out):
    uid: str
    host_id: str
    event_type_id: str
    title: str
    attendee: Attendee
    start: str
    end: str
    start_local: str
    end_local: str
    host_time_zone: str
    status: Literal["accepted", "cancelled"]
    created_at: str
    updated_at: str


class AgendaMeta(Out):
    next_cursor: str | None


class AgendaReply(Out):
    data: list[AgendaEntry]
    meta: AgendaMeta


class StatsRow(Out):
    key: str
    bookings: int
    cancelled: int
    booked_minutes: int


class StatsReply(Out):
    data: list[StatsRow]


class FieldError(Out):
    field: str
    message: str


class Problem(Out):
    """RFC 9457 problem details with a stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None


def problems(*statuses: int) -> dict[int, type[Problem]]:
    return dict.fromkeys(statuses, Problem)


class CalendarHealth(Out):
    circuit: Literal["closed", "open", "half-open"] = Field(
        description="open: calls to this calendar are paused after repeated failures"
    )
    consecutive_failures: int
    opened_at: str | None


class Calendar(Out):
    id: str
    host_id: str
    provider: str
    url: str
    username: str
    connected_at: str
    status: Literal["connected", "reconnect_required"] = Field(
        description="reconnect_required: the provider withdrew access; connect the account again"
    )
    health: CalendarHealth


class Consent(Out):
    authorization_url: str = Field(
        description="send the host's browser there: a page of this API that leads on to the provider's consent page"
    )
    expires_at: str = Field(description="the consent must be given before this time")


class ConsentReply(Out):
    data: Consent


class CalendarReply(Out):
    data: Calendar


class CalendarList(Out):
    data: list[Calendar]
