"""The batching executor: every valid query completes, whatever mix of loaded, pending and refused fields."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql

# `host` waits for its loader (booking(uid) primes nothing); `attendee { bookings }` is refused for a
# cancel-token holder, and the refusal nulls the whole booking (attendee and bookings are non-null),
# which leaves the booking's fields half-run while `host` is still pending.
PENDING_THEN_REFUSED = """query($u: ID!) {
  booking(uid: $u) { uid host { name } again: host { timeZone } eventType { title } attendee { bookings { uid } } }
}"""


def _book(public: Api, event_type: str, start: str) -> tuple[str, str]:
    made = public.post("/bookings", {"eventTypeId": event_type, "start": start, "attendee": attendee()})
    assert made.status == 201, made.body
    return str(made.data["uid"]), str(made.data["cancelToken"])


def test_a_pending_relation_beside_a_refused_field_completes_with_only_the_refusal(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    # given a booking read with its cancel token
    uid, token = _book(public, make_event_type(api, make_host(api)), "2026-01-06T08:00:00Z")
    project()
    # when the query asks for loaded relations and for the attendee's other bookings
    reply = Gql(cancel_token=token)(PENDING_THEN_REFUSED, {"u": uid})
    # then the refusal is the only error: no internal error from the relations left pending
    assert reply.status == 200, reply.body
    assert reply.codes == ["forbidden"], reply.body
    assert reply.data == {"booking": None}


def test_a_page_of_bookings_mixing_primed_and_pending_relations_is_answered_in_full(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    # given bookings of two hosts
    hosts = [make_host(api), make_host(api)]
    types = [make_event_type(api, h, title=f"T{i}") for i, h in enumerate(hosts)]
    for i, start in enumerate(("2026-01-06T08:00:00Z", "2026-01-06T09:00:00Z", "2026-01-07T08:00:00Z")):
        _book(public, types[i % 2], start)
    project()
    # when the page primes `host` and `eventType`, and the attendee's bookings load theirs later,
    # through aliases of the same relations
    query = """{ agenda { edges { node {
      uid a: host { name } eventType { title host { name } }
      attendee { bookings(first: 3) { uid b: host { name } c: host { timeZone } eventType { title } } }
      b: host { id }
    } } } }"""
    reply = Gql(api_key)(query)
    # then every booking comes back with all its relations
    assert not reply.errors, reply.body
    nodes = [e["node"] for e in reply.data["agenda"]["edges"]]
    assert len(nodes) == 3
    assert all(n["a"]["name"] == "Ada" and n["eventType"]["host"]["name"] == "Ada" for n in nodes)
    assert all(len(n["attendee"]["bookings"]) == 3 for n in nodes)
    assert {b["eventType"]["title"] for n in nodes for b in n["attendee"]["bookings"]} == {"T0", "T1"}


def test_a_refusal_inside_a_list_that_its_loader_fills_later_nulls_up_to_the_nearest_nullable_field(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    # given two bookings of one attendee, read through the attendee's bookings (a loader's batch)
    event_type = make_event_type(api, make_host(api))
    uid, _ = _book(public, event_type, "2026-01-06T08:00:00Z")
    _book(public, event_type, "2026-01-06T09:00:00Z")
    project()
    gql = Gql(api_key)
    # when a list size below that batch is refused (non-null fields all the way up to agenda)
    nested = "attendee { bookings(first: 3) { host { name } attendee { bookings(first: 0) { uid } } } }"
    refused = gql(f"{{ agenda(first: 5) {{ edges {{ node {{ {nested} }} }} }} }}")
    # then the request completes: the refusal nulls the whole response, as it would if nothing waited
    assert refused.status == 200 and refused.data is None, refused.body
    assert set(refused.codes) == {"validation_error"}, refused.body
    # and under a nullable field (booking) only that field is nulled, beside a sibling that stays
    document = f"query($u: ID!) {{ booking(uid: $u) {{ {nested} }} same: booking(uid: $u) {{ uid host {{ name }} }} }}"
    reply = gql(document, {"u": uid})
    assert set(reply.codes) == {"validation_error"}, reply.body
    assert reply.data == {"booking": None, "same": {"uid": uid, "host": {"name": "Ada"}}}
