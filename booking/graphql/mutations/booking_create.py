"""bookingCreate: book an offered slot (public), as POST /api/v1/bookings does."""

from __future__ import annotations

from typing import Any

import graphene

from booking import bookings
from booking.graphql.mutations.base import BookingPayload, answer, key
from booking.inputs import instant, uuid_of


class AttendeeInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    email = graphene.String(required=True)
    time_zone = graphene.String(required=True, description="The attendee's IANA time zone")


class BookingCreateInput(graphene.InputObjectType):
    event_type_id = graphene.ID(required=True)
    start = graphene.String(required=True, description="An offered start: RFC 3339 with an offset")
    attendee = graphene.Field(AttendeeInput, required=True)
    idempotency_key = graphene.String(description="1-255 printable characters; shared with REST's Idempotency-Key")


class BookingCreate(BookingPayload, graphene.Mutation):
    """Books a slot. A retry with the same idempotencyKey returns the first booking."""

    cancel_token = graphene.String(
        description="Lets the attendee read, reschedule and cancel (X-Cancel-Token) until the booking ends. "
        "Null on a retry after the booking was rescheduled or its token revoked"
    )

    class Arguments:
        input = BookingCreateInput(required=True)

    @classmethod
    def mutate(cls, root: None, info: graphene.ResolveInfo, input: Any) -> Any:
        def write() -> Any:
            event_type_id = uuid_of(input.event_type_id, "eventTypeId")
            person = input.attendee
            attendee = bookings.attendee_of(person.name, person.email, person.time_zone)
            return bookings.book(event_type_id, instant(input.start, "start"), attendee, key(input.idempotency_key))

        return answer(cls, write, lambda outcome: {"cancel_token": bookings.live_token(outcome)})
