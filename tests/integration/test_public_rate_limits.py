"""Public request limits over REST and GraphQL: per client address and per event type, 429 with
Retry-After, nothing written when refused; on the real Redis and on the database store."""

from __future__ import annotations

from typing import Any

from booking.application import Slotwise
from tests.integration import limits_support
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.graphql_support import BOOK, operation
from tests.integration.limits_support import DAY, booking, graphql_from, limits_on, rest_from, slots_query
from tests.integration.server import free_port
from tests.support import events_in

store = limits_support.store
SLOTS = operation("slots")
SLOT_VARIABLES = {"start": "2026-01-06", "end": "2026-01-06", "timeZone": "Europe/Berlin"}


def _event_type(api: Api, slug: str = "intro") -> str:
    return make_event_type(api, make_host(api), slug=slug)


def test_the_61st_booking_attempt_from_one_address_is_refused_with_retry_after_and_writes_nothing(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given the default budget of 60 booking attempts per address (per hour here, so none comes back mid-test)
    limits_on(settings, writes="60/hour")
    event_type = _event_type(api)
    script, neighbour = rest_from("127.0.0.1"), rest_from("127.0.0.2")  # loopback is not exempt
    # when one address makes 60 attempts (one booking, then 59 at the slot it took), then a 61st
    attempts = [script.post("/bookings", booking(event_type, DAY[0])).status for _ in range(60)]
    assert attempts == [201] + [409] * 59
    written = events_in(app)
    refused = script.post("/bookings", booking(event_type, DAY[1]))
    # then the 61st is 429 problem+json with a Retry-After in whole seconds, and nothing was written
    assert refused.status == 429 and refused.code == "rate_limited", refused.body
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert events_in(app) == written
    # and another address is not affected: the very slot is still free for it
    assert neighbour.post("/bookings", booking(event_type, DAY[1])).status == 201


def test_rescheduling_and_cancelling_spend_the_same_budget_as_booking(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given a budget of three booking changes per address
    limits_on(settings, writes="3/hour")
    event_type = _event_type(api)
    attendee = rest_from("127.0.0.1")
    # when the attendee books, moves and cancels
    made = attendee.post("/bookings", booking(event_type, DAY[0])).data
    moved = attendee.post(f"/bookings/{made['uid']}/reschedule", {"start": DAY[2]}, headers=_token(made))
    assert moved.status == 200
    token = _token(moved.data)  # a reschedule hands out the booking's next token
    assert attendee.post(f"/bookings/{made['uid']}/cancel", {"reason": "x"}, headers=token).status == 200
    # then the fourth change of any kind is refused, and writes nothing
    written = events_in(app)
    again = attendee.post(f"/bookings/{made['uid']}/reschedule", {"start": DAY[3]}, headers=token)
    assert again.status == 429 and again.code == "rate_limited"
    assert attendee.post("/bookings", booking(event_type, DAY[4])).status == 429
    assert events_in(app) == written


def _token(booking: dict[str, Any]) -> dict[str, str]:
    return {"X-Cancel-Token": booking["cancelToken"]}


def test_the_event_type_budget_refuses_a_crowd_of_addresses(api: Api, settings: Any, store: str, app: Slotwise) -> None:
    # given one trusted proxy in front, and a budget of three bookings per event type
    limits_on(settings, event_type_writes="3/hour", trusted_proxies=1)
    event_type, other_type = _event_type(api), _event_type(api, "other")
    proxy = rest_from("127.0.0.1")

    def book_from(address: str, kind: str, start: str) -> int:
        return proxy.post("/bookings", booking(kind, start), headers={"X-Forwarded-For": address}).status

    # when four different addresses book it (each well within its own budget)
    made = [book_from(f"198.51.100.{n}", event_type, DAY[n]) for n in range(1, 4)]
    written = events_in(app)
    fourth = proxy.post("/bookings", booking(event_type, DAY[4]), headers={"X-Forwarded-For": "198.51.100.4"})
    # then the fourth is refused, nothing written; another event type is not affected
    assert made == [201, 201, 201]
    assert fourth.status == 429 and fourth.code == "rate_limited" and "event type" in fourth.body["detail"]
    assert events_in(app) == written
    assert book_from("198.51.100.4", other_type, DAY[4]) == 201


def test_a_client_cannot_leave_its_budget_by_naming_itself_in_x_forwarded_for(
    api: Api, settings: Any, store: str
) -> None:
    # given no trusted proxy in front (the default), and two booking changes per address
    limits_on(settings, writes="2/hour")
    event_type = _event_type(api)
    script = rest_from("127.0.0.1")
    # when the client claims a new address with every request
    statuses = [
        script.post("/bookings", booking(event_type, DAY[n]), headers={"X-Forwarded-For": f"203.0.113.{n}"}).status
        for n in range(3)
    ]
    # then it is still one address, and its third change is refused
    assert statuses == [201, 201, 429]


def test_reads_have_their_own_budgets_per_address_and_per_event_type(api: Api, settings: Any, store: str) -> None:
    # given two slot lookups per address, three per event type
    limits_on(settings, reads="2/hour", event_type_reads="3/hour")
    event_type = _event_type(api)
    first, second = rest_from("127.0.0.1"), rest_from("127.0.0.2")
    # when one address looks three times, the other twice
    looks = [first.get(slots_query(event_type)).status for _ in range(3)]
    others = [second.get(slots_query(event_type)).status for _ in range(2)]
    # then the first address is stopped by its own budget, the second by the event type's
    assert looks == [200, 200, 429] and others == [200, 429]
    # and bookings (writes) still have their whole budget
    assert first.post("/bookings", booking(event_type, DAY[0])).status == 201


def test_the_master_switch_turns_every_public_limit_off(api: Api, settings: Any, store: str) -> None:
    # given budgets of one request, then SLOTWISE_PUBLIC_RATE_LIMITS=off
    limits_on(settings, writes="1/hour", reads="1/hour", event_type_writes="1/hour", event_type_reads="1/hour")
    settings.SLOTWISE_PUBLIC_RATE_LIMITS = False
    event_type = _event_type(api)
    caller = rest_from("127.0.0.1")
    # when one address books and looks three times each, then nothing is refused
    assert [caller.post("/bookings", booking(event_type, DAY[n])).status for n in range(3)] == [201] * 3
    assert [caller.get(slots_query(event_type)).status for _ in range(3)] == [200] * 3


def test_graphql_and_rest_draw_on_one_budget(app: Slotwise, api: Api, settings: Any, store: str) -> None:
    # given two booking changes and two slot lookups per address
    limits_on(settings, writes="2/hour", reads="2/hour")
    event_type = _event_type(api)
    rest, gql = rest_from("127.0.0.1"), graphql_from("127.0.0.1")
    # when the address books once over each API, then tries GraphQL again
    assert rest.post("/bookings", booking(event_type, DAY[0])).status == 201
    made = gql(BOOK, {"input": booking(event_type, DAY[1])})
    assert made.status == 200 and not made.data["bookingCreate"]["errors"], made.body
    written = events_in(app)
    refused = gql(BOOK, {"input": booking(event_type, DAY[2])})
    # then GraphQL answers 429 with rate_limited and retryAfter, and nothing was written
    assert refused.status == 429 and refused.codes == ["rate_limited"], refused.body
    retry_after = refused.errors[0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and retry_after >= 1
    assert events_in(app) == written
    # and REST finds the same budget spent; slots likewise, the other way round
    assert rest.post("/bookings", booking(event_type, DAY[2])).status == 429
    assert gql(SLOTS, {"eventTypeId": event_type, **SLOT_VARIABLES}).status == 200
    assert rest.get(slots_query(event_type)).status == 200
    looked = gql(SLOTS, {"eventTypeId": event_type, **SLOT_VARIABLES})
    assert looked.status == 429 and looked.codes == ["rate_limited"]


def _bookings(count: int) -> str:
    """A document booking `count` times under aliases, all but the first inside a fragment."""
    variables = ", ".join(f"$b{n}: BookingCreateInput!" for n in range(count))
    fields = [f"b{n}: bookingCreate(input: $b{n}) {{ errors {{ code }} }}" for n in range(count)]
    return (
        f"mutation Many({variables}) {{ {fields[0]} ...More }} fragment More on Mutation {{ {' '.join(fields[1:])} }}"
    )


def test_one_graphql_document_cannot_carry_more_than_the_budget(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given two booking changes per address
    limits_on(settings, writes="2/hour")
    event_type = _event_type(api)
    gql = graphql_from("127.0.0.1")
    written = events_in(app)
    # when one document books three times under aliases and fragments
    reply = gql(_bookings(3), {f"b{n}": booking(event_type, DAY[n]) for n in range(3)})
    # then the whole document is refused before anything runs
    assert reply.status == 429 and reply.codes == ["rate_limited"], reply.body
    assert events_in(app) == written
    # and one booking twice fits the budget and runs
    two = gql(_bookings(2), {f"b{n}": booking(event_type, DAY[n]) for n in range(2)})
    assert two.status == 200 and two.data == {"b0": {"errors": []}, "b1": {"errors": []}}, two.body


def test_a_limit_store_that_does_not_answer_lets_requests_through(app: Slotwise, api: Api, settings: Any) -> None:
    # given limits kept in a Redis that is not there (nothing listens on the port)
    limits_on(settings, writes="1/hour", event_type_writes="1/hour")
    settings.SLOTWISE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    event_type = _event_type(api)
    caller = rest_from("127.0.0.1")
    # when the address books twice, then the bookings are made: no 500, no refusal
    assert [caller.post("/bookings", booking(event_type, DAY[n])).status for n in range(2)] == [201, 201]
