"""List sizes sent as null are refused like any other size out of range, never an internal error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql


@pytest.mark.parametrize(
    "document",
    [
        "query($n: Int) { agenda(first: $n) { edges { cursor } } }",
        "query($h: ID!, $n: Int) { host(id: $h) { eventTypes(first: $n) { id } } }",
        "query($n: Int) { agenda(first: 1) { edges { node { attendee { bookings(first: $n) { uid } } } } } }",
    ],
)
def test_a_null_first_is_a_validation_error_on_first(
    api: Api, public: Api, api_key: str, project: Callable[[], None], document: str
) -> None:
    # given a host with an event type and a booking
    host = make_host(api)
    event_type = make_event_type(api, host)
    made = public.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-01-06T08:00:00Z", "attendee": attendee()}
    )
    assert made.status == 201, made.body
    project()
    # when a list is asked for with first: null
    reply = Gql(api_key)(document, {"n": None, "h": host})
    # then the size is refused by name; nothing fails inside
    assert reply.codes == ["validation_error"], reply.body
    assert reply.errors[0]["extensions"]["field"] == "first"
