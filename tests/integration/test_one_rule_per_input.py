"""REST and GraphQL judge the same input by the same rule: what one API refuses, the other refuses
too, with the same field named, and what one accepts the other accepts."""

from __future__ import annotations

from typing import Any

import pytest

from booking.application import Slotwise
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql
from tests.support import events_in

NINE, TEN = "2026-01-06T08:00:00Z", "2026-01-06T09:00:00Z"
BOOK = """mutation($input: BookingCreateInput!) {
  bookingCreate(input: $input) { booking { uid attendee { name } } errors { field code message } }
}"""


def _booking(event_type: str, start: str, name: str) -> dict[str, Any]:
    return {"eventTypeId": event_type, "start": start, "attendee": {**attendee(), "name": name}}


@pytest.mark.parametrize(
    "name",
    ["x" * 199 + " " * 20, " " * 5 + "x" * 196, "x" * 201, "\u00a0" * 3],
    ids=["199 characters padded to 219", "196 characters behind 5 spaces", "201 characters", "blank"],
)
def test_an_attendee_name_refused_over_rest_is_refused_over_graphql(
    name: str, app: Slotwise, api: Api, public: Api
) -> None:
    # given an offered slot
    event_type = make_event_type(api, make_host(api))
    before = events_in(app)
    # when the same attendee books it through either API
    rest = public.post("/bookings", _booking(event_type, NINE, name))
    gql = Gql()(BOOK, {"input": _booking(event_type, NINE, name)}).data["bookingCreate"]
    # then both refuse the name, and nothing is written
    assert (rest.status, rest.code) == (422, "validation_error"), rest.body
    assert "attendee.name" in [e["field"] for e in rest.body["errors"]]
    assert gql["booking"] is None and ("attendee.name", "validation_error") in [
        (e["field"], e["code"]) for e in gql["errors"]
    ], gql
    assert events_in(app) == before


def test_an_attendee_name_of_200_characters_is_booked_over_either_api(api: Api, public: Api) -> None:
    # given an offered slot at nine and at ten, and a name at the bound, with a space either side
    event_type = make_event_type(api, make_host(api))
    name = " " + "x" * 198 + " "
    # when it books one over REST and the other over GraphQL
    rest = public.post("/bookings", _booking(event_type, NINE, name))
    gql = Gql()(BOOK, {"input": _booking(event_type, TEN, name)}).data["bookingCreate"]
    # then both are booked, under the name without its spaces
    assert rest.status == 201, rest.body
    assert gql["errors"] == [] and gql["booking"]["attendee"]["name"] == "x" * 198, gql
    assert rest.data["attendee"]["name"] == "x" * 198
