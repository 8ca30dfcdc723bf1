"""Root queries: thin resolvers over the views' read API (projections.reads) and the slot rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import graphene

from booking import bookings
from booking.bookings import Caller
from booking.domain.errors import NotFound
from booking.graphql import dataloaders as dl
from booking.graphql import types as t
from booking.graphql.context import Context
from booking.graphql.errors import refusal
from booking.graphql.limits import first_in_range
from booking.graphql.lookahead import asks_for
from booking.graphql.read_waits import caught_up
from booking.graphql.scalars import Position
from booking.inputs import MAX_SEARCH, cursor_of, date_range, search_text, uuid_of
from booking.slots import offered_by_date, slot_query
from projections import reads
from projections.selectors import encode_cursor

MAX_PAGE = 100


def _min_position() -> Position:
    return Position(
        description="Wait (up to 2 s per request) until the views have applied this position (from a write)"
    )


class BookingQueries(graphene.ObjectType):
    host = graphene.Field(t.Host, id=graphene.ID(required=True), description="Organisation key required.")
    event_type = graphene.Field(t.EventType, id=graphene.ID(required=True), description="Organisation key required.")
    slots = graphene.List(
        graphene.NonNull(t.SlotDay),
        required=True,
        event_type_id=graphene.ID(required=True),
        start=graphene.String(required=True, description="YYYY-MM-DD, inclusive, in timeZone"),
        end=graphene.String(required=True, description="YYYY-MM-DD, inclusive, at most 62 days after start"),
        time_zone=graphene.String(required=True, description="The invitee's IANA time zone"),
        min_position=_min_position(),
        description="Offered starts by date in the invitee's zone; dates without slots are left out. Public.",
    )
    booking = graphene.Field(
        t.Booking,
        uid=graphene.ID(required=True),
        min_position=_min_position(),
        description="With the organisation's key or the booking's X-Cancel-Token.",
    )
    agenda = graphene.Field(
        t.BookingConnection,
        required=True,
        host_id=graphene.ID(),
        from_=graphene.String(name="from", description="YYYY-MM-DD, host-local, inclusive"),
        to=graphene.String(description="YYYY-MM-DD, host-local, inclusive"),
        status=t.BookingStatus(),
        q=graphene.String(
            description=f"Attendee name or email, or title, contains: plain text, at most {MAX_SEARCH} characters"
        ),
        first=graphene.Int(default_value=50, description=f"1 to {MAX_PAGE}"),
        after=graphene.String(),
        min_position=_min_position(),
        description="The organisation's bookings in start order. Organisation key required.",
    )
    agenda_stats = graphene.List(
        graphene.NonNull(t.AgendaStat),
        required=True,
        group_by=t.AgendaGroup(default_value="day"),
        host_id=graphene.ID(),
        from_=graphene.String(name="from"),
        to=graphene.String(),
        min_position=_min_position(),
        description="Accepted and cancelled bookings and booked minutes per group. Organisation key required.",
    )

    @staticmethod
    def resolve_host(root: None, info: graphene.ResolveInfo, id: str) -> Any:
        organisation = _organisation(info.context)
        host_id = uuid_of(id, "id")
        host = reads.hosts_by_ids([host_id]).get(host_id)
        if host is None or host.organisation_id != organisation:
            raise NotFound("no such host", "id")
        return host

    @staticmethod
    def resolve_event_type(root: None, info: graphene.ResolveInfo, id: str) -> Any:
        organisation = _organisation(info.context)
        event_type_id = uuid_of(id, "id")
        found = reads.event_types_by_ids([event_type_id]).get(event_type_id)
        if found is None or found.organisation_id != organisation:
            raise NotFound("no such event type", "id")
        return found

    @staticmethod
    def resolve_slots(
        root: None,
        info: graphene.ResolveInfo,
        event_type_id: str,
        start: str,
        end: str,
        time_zone: str,
        min_position: int | None = None,
    ) -> list[dict[str, Any]]:
        query = slot_query(event_type_id, start, end, time_zone)
        caught_up(info.context.waits, ("availability",), min_position)
        return [
            {"date": day, "slots": [{"start": s} for s in starts]}
            for day, starts in offered_by_date(query).by_date.items()
        ]

    @staticmethod
    def resolve_booking(root: None, info: graphene.ResolveInfo, uid: str, min_position: int | None = None) -> Any:
        context: Context = info.context
        booking_uid = uuid_of(uid, "uid")
        caught_up(info.context.waits, ("agenda",), min_position)
        found = reads.entries_by_uids([booking_uid]).get(booking_uid)
        if found is None:
            raise NotFound("no such booking", "uid")
        if found.organisation_id == context.organisation:
            return found
        if context.cancel_token:
            # the view knows no token generations: the aggregate judges the token (rotated, revoked, expired)
            bookings.authorised(Caller(cancel_token=context.cancel_token), booking_uid)
            return found
        raise NotFound("no such booking", "uid")

    @staticmethod
    def resolve_agenda(
        root: None,
        info: graphene.ResolveInfo,
        first: int,
        host_id: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        status: str | None = None,
        q: str | None = None,
        after: str | None = None,
        min_position: int | None = None,
    ) -> dict[str, Any]:
        organisation = _organisation(info.context)
        first_in_range(first, "first", MAX_PAGE)
        first_day, last_day = date_range(from_, to)
        host = uuid_of(host_id, "hostId") if host_id else None
        search, cursor = search_text(q, "q"), cursor_of(after, "after")
        caught_up(info.context.waits, ("agenda",), min_position)
        entries, next_cursor = reads.agenda_for(
            organisation,
            host_id=host,
            first=first_day,
            last=last_day,
            status=_value(status),
            q=search,
            cursor=cursor,
            limit=first,
        )
        prime_relations(info, entries, ("edges", "node"))
        return {
            "edges": [{"cursor": encode_cursor(e), "node": e} for e in entries],
            "page_info": {"has_next_page": next_cursor is not None, "end_cursor": next_cursor},
        }

    @staticmethod
    def resolve_agenda_stats(
        root: None,
        info: graphene.ResolveInfo,
        group_by: str,
        host_id: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        min_position: int | None = None,
    ) -> list[dict[str, Any]]:
        organisation = _organisation(info.context)
        first_day, last_day = date_range(from_, to)
        caught_up(info.context.waits, ("agenda",), min_position)
        rows = reads.agenda_stats(
            organisation,
            _value(group_by),
            host_id=uuid_of(host_id, "hostId") if host_id else None,
            first=first_day,
            last=last_day,
        )
        return [{**row, "booked_minutes": row["bookedMinutes"]} for row in rows]


def prime_relations(info: graphene.ResolveInfo, entries: list[Any], path: tuple[str, ...]) -> None:
    """Loads the hosts and event types a page of bookings will ask for, in one batch each."""
    if asks_for(info, *path, "host"):
        dl.HostByIdLoader.of(info.context).prime([e.host_id for e in entries])
    if asks_for(info, *path, "eventType"):
        dl.EventTypeByIdLoader.of(info.context).prime([e.event_type_id for e in entries])


def _value(choice: Any) -> Any:
    """An enum argument's value (graphene passes members; defaults arrive as plain values)."""
    return getattr(choice, "value", choice)


def _organisation(context: Context) -> UUID:
    if context.organisation is None:
        raise refusal("unauthorized", "a valid API key is required (Authorization: Bearer <key>)")
    return context.organisation
