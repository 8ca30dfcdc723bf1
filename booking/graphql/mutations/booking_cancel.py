"""bookingCancel: cancel a booking with a reason; its time is free again."""

from __future__ import annotations

from typing import Any

import graphene

from booking import bookings
from booking.graphql.mutations.base import BookingPayload, answer, key
from booking.inputs import uuid_of


class BookingCancelInput(graphene.InputObjectType):
    uid = graphene.ID(required=True)
    reason = graphene.String(default_value="", description="At most 500 characters")
    idempotency_key = graphene.String()


class BookingCancel(BookingPayload, graphene.Mutation):
    """With the organisation's key or the booking's X-Cancel-Token."""

    class Arguments:
        input = BookingCancelInput(required=True)

    @classmethod
    def mutate(cls, root: None, info: graphene.ResolveInfo, input: Any) -> Any:
        def write() -> Any:
            uid = uuid_of(input.uid, "uid")
            return bookings.cancel(info.context.caller, uid, input.reason, key(input.idempotency_key))

        return answer(cls, write)
