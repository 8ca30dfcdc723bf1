"""Object types over the views' rows (never over the event store). Related objects come
through the request's data loaders, so a list of N bookings costs one query per relation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import graphene

from booking.graphql import dataloaders as dl
from booking.graphql.errors import refusal
from booking.graphql.limits import first_in_range
from booking.graphql.timing import per_item


class BookingStatus(graphene.Enum):
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"


class EventType(graphene.ObjectType):
    """Something bookable: its slot rules as the host set them."""

    id = graphene.ID(required=True)
    slug = graphene.String(required=True)
    title = graphene.String(required=True)
    length_in_minutes = graphene.Int(required=True)
    buffer_before_minutes = graphene.Int(required=True)
    buffer_after_minutes = graphene.Int(required=True)
    minimum_notice_minutes = graphene.Int(required=True)
    slot_interval_minutes = graphene.Int(required=True, description="Defaults to the length.")
    max_bookings_per_day = graphene.Int()
    booking_window_days = graphene.Int(required=True)
    reminders = graphene.List(
        graphene.NonNull(graphene.Int),
        required=True,
        description="Minutes before the start at which the attendee is emailed a reminder.",
    )
    host = graphene.Field(lambda: Host)

    @staticmethod
    @per_item
    def resolve_slot_interval_minutes(root: Any, info: graphene.ResolveInfo) -> int:
        return int(root.slot_interval_minutes or root.length_in_minutes)

    @staticmethod
    @per_item
    def resolve_host(root: Any, info: graphene.ResolveInfo) -> Any:
        return dl.HostByIdLoader.of(info.context).value_or_future(root.host_id)

    @staticmethod
    @per_item
    def resolve_reminders(root: Any, info: graphene.ResolveInfo) -> Any:
        return dl.RemindersByEventTypeLoader.of(info.context).value_or_future(root.id)


class Host(graphene.ObjectType):
    """Someone whose time is booked, working in an IANA time zone. Without the organisation's
    key (an attendee's cancel token, a public booking) only the name and time zone show."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    email = graphene.String(required=True, description="Organisation key only.")
    time_zone = graphene.String(required=True)
    event_types = graphene.List(
        graphene.NonNull(EventType),
        required=True,
        first=graphene.Int(default_value=20, description=f"1 to {dl.MAX_RELATED}"),
        description="Organisation key only.",
    )

    @staticmethod
    @per_item
    def resolve_email(root: Any, info: graphene.ResolveInfo) -> str:
        _organisation_only(root.organisation_id, info, "email", "a host's email")
        return str(root.email)

    @staticmethod
    @per_item
    def resolve_event_types(root: Any, info: graphene.ResolveInfo, first: int) -> Any:
        _organisation_only(root.organisation_id, info, "eventTypes", "a host's eventTypes")
        first_in_range(first, "first", dl.MAX_RELATED)
        return dl.EventTypesByHostLoader.of(info.context).load((root.id, first))


def _organisation_only(owner: UUID, info: graphene.ResolveInfo, field: str, what: str) -> None:
    """A host's contact and other event types, and an attendee's other bookings, are the owning
    organisation's: a cancel token or a public caller is refused them."""
    if info.context.organisation != owner:
        raise refusal("forbidden", f"{what}: the organisation's key is required", field)


@dataclass(frozen=True)
class AttendeeRow:
    organisation_id: UUID
    name: str
    email: str
    time_zone: str


class Attendee(graphene.ObjectType):
    name = graphene.String(required=True)
    email = graphene.String(required=True)
    time_zone = graphene.String(required=True)
    bookings = graphene.List(
        graphene.NonNull(lambda: Booking),
        required=True,
        first=graphene.Int(default_value=10, description=f"1 to {dl.MAX_RELATED}"),
        description="This attendee's bookings with the organisation, in start order (organisation key only).",
    )

    @staticmethod
    @per_item
    def resolve_bookings(root: AttendeeRow, info: graphene.ResolveInfo, first: int) -> Any:
        first_in_range(first, "first", dl.MAX_RELATED)
        _organisation_only(root.organisation_id, info, "bookings", "an attendee's other bookings")
        return dl.BookingsByAttendeeLoader.of(info.context).load((root.organisation_id, root.email, first))


class Booking(graphene.ObjectType):
    """A booked slot, as the agenda view holds it."""

    uid = graphene.ID(required=True)
    status = graphene.Field(BookingStatus, required=True)
    start = graphene.DateTime(required=True, description="UTC")
    end = graphene.DateTime(required=True, description="UTC")
    start_local = graphene.String(required=True, description="RFC 3339 in the host's time zone")
    end_local = graphene.String(required=True, description="RFC 3339 in the host's time zone")
    host_time_zone = graphene.String(required=True)
    title = graphene.String(required=True)
    attendee = graphene.Field(Attendee, required=True)
    host = graphene.Field(Host)
    event_type = graphene.Field(EventType)
    created_at = graphene.DateTime(required=True)
    updated_at = graphene.DateTime(required=True)

    @staticmethod
    @per_item
    def resolve_status(root: Any, info: graphene.ResolveInfo) -> Any:
        return BookingStatus.get(root.status)

    @staticmethod
    @per_item
    def resolve_attendee(root: Any, info: graphene.ResolveInfo) -> AttendeeRow:
        return AttendeeRow(root.organisation_id, root.attendee_name, root.attendee_email, root.attendee_time_zone)

    @staticmethod
    @per_item
    def resolve_host(root: Any, info: graphene.ResolveInfo) -> Any:
        return dl.HostByIdLoader.of(info.context).value_or_future(root.host_id)

    @staticmethod
    @per_item
    def resolve_event_type(root: Any, info: graphene.ResolveInfo) -> Any:
        return dl.EventTypeByIdLoader.of(info.context).value_or_future(root.event_type_id)


class PageInfo(graphene.ObjectType):
    has_next_page = graphene.Boolean(required=True)
    end_cursor = graphene.String()


class BookingEdge(graphene.ObjectType):
    cursor = graphene.String(required=True)
    node = graphene.Field(Booking, required=True)


class BookingConnection(graphene.ObjectType):
    """A page of the agenda, Relay style: `after` takes a cursor this API gave out."""

    edges = graphene.List(graphene.NonNull(BookingEdge), required=True)
    page_info = graphene.Field(PageInfo, required=True)


class AgendaGroup(graphene.Enum):
    DAY = "day"
    HOST = "host"
    EVENT_TYPE = "eventType"


class AgendaStat(graphene.ObjectType):
    key = graphene.String(required=True, description="The host-local date, host id or event type id")
    bookings = graphene.Int(required=True)
    cancelled = graphene.Int(required=True)
    booked_minutes = graphene.Int(required=True)


class Slot(graphene.ObjectType):
    start = graphene.String(required=True, description="RFC 3339 with the invitee's offset")


class SlotDay(graphene.ObjectType):
    date = graphene.String(required=True, description="YYYY-MM-DD in the invitee's time zone")
    slots = graphene.List(graphene.NonNull(Slot), required=True)


class Error(graphene.ObjectType):
    """Why a mutation did nothing: the same stable codes as the REST API's problem `code`."""

    field = graphene.String(description="The input field at fault, when one is")
    code = graphene.String(required=True)
    message = graphene.String(required=True)
