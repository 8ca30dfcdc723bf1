"""The root schema, composed of the per-domain query and mutation classes."""

from __future__ import annotations

import graphene

from booking.graphql.mutations.booking_cancel import BookingCancel
from booking.graphql.mutations.booking_create import BookingCreate
from booking.graphql.mutations.booking_reschedule import BookingReschedule
from booking.graphql.queries import BookingQueries


class Query(BookingQueries, graphene.ObjectType):
    pass


class BookingMutations(graphene.ObjectType):
    booking_create = BookingCreate.Field(required=True)
    booking_reschedule = BookingReschedule.Field(required=True)
    booking_cancel = BookingCancel.Field(required=True)


class Mutation(BookingMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
