"""What the booking mutations share: their payload fields and the booking as a view row.

A mutation answers from the aggregate it just saved (read-your-writes), shaped exactly as
the agenda view will hold it, so the `Booking` type reads the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphene

from booking import bookings
from booking.application import Outcome
from booking.bootstrap import get_app
from booking.domain.booking import Booking as BookingAggregate
from booking.domain.errors import DomainError
from booking.domain.timezones import zone
from booking.graphql import types as t
from booking.graphql.errors import typed
from booking.graphql.scalars import Position
from booking.throttle import RateLimited
from projections.models import AgendaEntry


class BookingPayload(graphene.ObjectType):
    booking = graphene.Field(t.Booking, description="Null when the mutation was refused")
    position = Position(description="Event store position of the write; pass as minPosition to read it")
    errors = graphene.List(graphene.NonNull(t.Error), required=True)


def key(value: str | None) -> bookings.Key:
    return bookings.Key(value, "idempotencyKey")


def entry_of(booking: BookingAggregate) -> AgendaEntry:
    app = get_app()
    host = app.host(booking.organisation_id, booking.host_id)
    title = app.event_type(booking.event_type_id).settings["title"]
    tz = zone(host.time_zone)
    return AgendaEntry(
        uid=booking.id,
        organisation_id=booking.organisation_id,
        host_id=booking.host_id,
        event_type_id=booking.event_type_id,
        title=title,
        attendee_name=booking.attendee["name"],
        attendee_email=booking.attendee["email"],
        attendee_time_zone=booking.attendee["timeZone"],
        host_time_zone=host.time_zone,
        start=booking.start,
        end=booking.end,
        start_local=booking.start.astimezone(tz).isoformat(),
        end_local=booking.end.astimezone(tz).isoformat(),
        status=booking.status,
        created_at=booking.created_on,
        updated_at=booking.modified_on,
    )


def answer(
    payload: type[Any],
    write: Callable[[], Outcome[BookingAggregate]],
    more_fields: Callable[[Outcome[BookingAggregate]], dict[str, Any]] = lambda _: {},
) -> Any:
    """Runs the write; a refusal becomes the payload's typed errors, and nothing is written."""
    try:
        outcome = write()
    except DomainError as error:
        return payload(errors=typed(error))
    except RateLimited as limited:  # the event type's budget, taken once the booking is known
        return payload(errors=[{"field": None, "code": "rate_limited", "message": limited.message}])
    return payload(booking=entry_of(outcome.subject), position=outcome.position, errors=[], **more_fields(outcome))
