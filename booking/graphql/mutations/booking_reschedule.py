"""bookingReschedule: move a booking to another offered start; the uid stays."""

from __future__ import annotations

from typing import Any

import graphene

from booking import bookings
from booking.graphql.mutations.base import BookingPayload, answer, key
from booking.inputs import instant, uuid_of


class BookingRescheduleInput(graphene.InputObjectType):
    uid = graphene.ID(required=True)
    start = graphene.String(required=True, description="An offered start: RFC 3339 with an offset")
    idempotency_key = graphene.String()


class BookingReschedule(BookingPayload, graphene.Mutation):
    """With the organisation's key or the booking's X-Cancel-Token."""

    cancel_token = graphene.String(
        description="The booking's new X-Cancel-Token: a reschedule retires the old one. "
        "Null on a retry after the booking moved on again or its token was revoked"
    )

    class Arguments:
        input = BookingRescheduleInput(required=True)

    @classmethod
    def mutate(cls, root: None, info: graphene.ResolveInfo, input: Any) -> Any:
        def write() -> Any:
            uid = uuid_of(input.uid, "uid")
            start = instant(input.start, "start")
            return bookings.reschedule(info.context.caller, uid, start, key(input.idempotency_key))

        return answer(cls, write, lambda outcome: {"cancel_token": bookings.live_token(outcome)})
