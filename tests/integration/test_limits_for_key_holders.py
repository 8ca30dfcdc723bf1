"""Who the public limits count: callers with a valid organisation key are not counted on their own
organisation's event types and bookings (they are authenticated and accountable there); on another
organisation's they count like anyone, and a bad key counts as anyone. And `off` for one budget leaves the
others on; only the master switch turns them all off. On the real Redis and the database store."""

from __future__ import annotations

from typing import Any

from booking.api_keys import create_api_key
from booking.application import Slotwise
from tests.integration import limits_support
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.graphql_support import BOOK, operation
from tests.integration.limits_support import DAY, booking, graphql_from, limits_on, rest_from, slots_query

store = limits_support.store
SLOTS = operation("slots")
CANCEL = """mutation Cancel($input: BookingCancelInput!) {
  bookingCancel(input: $input) { booking { uid status } errors { field code message } }
}"""


def _from(address: str, key: str) -> Api:
    caller = rest_from(address)
    caller.key = key
    return caller


def test_an_organisations_backend_changes_many_bookings_from_one_address_uncounted(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given one booking change per address and per event type, and the organisation's backend at one address
    limits_on(settings, writes="1/hour", event_type_writes="1/hour")
    event_type = make_event_type(api, make_host(api))
    backend = _from("10.0.0.9", api.key or "")
    made = [backend.post("/bookings", booking(event_type, DAY[n])).data for n in range(4)]
    # when, with its key, it books four times, then moves one and cancels three, over REST and GraphQL
    moved = backend.post(f"/bookings/{made[0]['uid']}/reschedule", {"start": DAY[8]})
    cancelled = [backend.post(f"/bookings/{m['uid']}/cancel", {"reason": "host away"}).status for m in made[1:3]]
    over_graphql = graphql_from("10.0.0.9")
    over_graphql.key = api.key
    last = over_graphql(CANCEL, {"input": {"uid": made[3]["uid"], "reason": "host away"}})
    # then none is refused by the public budgets
    assert moved.status == 200, moved.body
    assert cancelled == [200, 200]
    assert last.status == 200 and last.data["bookingCancel"]["errors"] == [], last.body


def test_key_holders_book_and_look_up_slots_uncounted(api: Api, settings: Any, store: str) -> None:
    # given one request per address and per event type, of each kind
    limits_on(settings, writes="1/hour", reads="1/hour", event_type_writes="1/hour", event_type_reads="1/hour")
    event_type = make_event_type(api, make_host(api))
    holder = _from("10.0.0.9", api.key or "")
    # when a key holder books and looks three times each, over REST and GraphQL
    books = [holder.post("/bookings", booking(event_type, DAY[n])).status for n in range(3)]
    looks = [holder.get(slots_query(event_type)).status for _ in range(3)]
    gql = graphql_from("10.0.0.9")
    gql.key = api.key
    more = gql(BOOK, {"input": booking(event_type, DAY[3])})
    # then nothing is refused
    assert books == [201] * 3 and looks == [200] * 3
    assert more.status == 200 and more.data["bookingCreate"]["errors"] == [], more.body


def test_a_key_of_another_organisation_is_counted_like_anyone_on_this_organisations_pages(
    api: Api, settings: Any, store: str
) -> None:
    # given one booking and one slot lookup per address, and a valid key of another organisation
    limits_on(settings, writes="1/hour", reads="1/hour")
    event_type = make_event_type(api, make_host(api))
    other = _from("10.0.0.9", create_api_key(f"other-{event_type[:8]}"))
    over_graphql = graphql_from("10.0.0.9")
    over_graphql.key = other.key
    # when its holder books and looks twice on this host's page over REST, then books over GraphQL
    books = [other.post("/bookings", booking(event_type, DAY[n])).status for n in range(2)]
    looks = [other.get(slots_query(event_type)).status for _ in range(2)]
    more = over_graphql(BOOK, {"input": booking(event_type, DAY[3])})
    # then its key is no pass: it is counted by its address, as anyone would be
    assert books == [201, 429] and looks == [200, 429]
    assert more.status == 429 and more.codes == ["rate_limited"], more.body


def test_a_key_of_another_organisation_is_counted_for_changes_to_this_organisations_bookings(
    api: Api, settings: Any, store: str
) -> None:
    # given one write per address and three per event type, and two bookings made from elsewhere
    limits_on(settings, writes="1/hour", event_type_writes="3/hour")
    event_type = make_event_type(api, make_host(api))
    first, second = (rest_from(f"10.0.1.{n}").post("/bookings", booking(event_type, DAY[n])).data for n in (1, 2))
    other = _from("10.0.0.9", create_api_key(f"other-{event_type[:8]}"))
    over_graphql = graphql_from("10.0.0.9", cancel_token=second["cancelToken"])
    over_graphql.key = other.key
    # when a holder of another organisation's key moves one with its cancel token, then cancels the
    # other over GraphQL, from the same address
    moved = other.post(
        f"/bookings/{first['uid']}/reschedule", {"start": DAY[8]}, headers={"X-Cancel-Token": first["cancelToken"]}
    )
    cancelled = over_graphql(CANCEL, {"input": {"uid": second["uid"], "reason": "away"}})
    # then the first change counts against its address, so the second is refused
    assert moved.status == 200, moved.body
    assert [e["code"] for e in cancelled.data["bookingCancel"]["errors"]] == ["rate_limited"], cancelled.body
    # and against the event type: with the two bookings it spent its three writes
    third = rest_from("10.0.1.3").post(
        f"/bookings/{second['uid']}/cancel", {}, headers={"X-Cancel-Token": second["cancelToken"]}
    )
    assert third.status == 429 and "event type" in third.body["detail"], third.body


def test_a_bad_key_is_counted_like_anyone(api: Api, settings: Any, store: str) -> None:
    # given one booking and one slot lookup per address
    limits_on(settings, writes="1/hour", reads="1/hour")
    event_type = make_event_type(api, make_host(api))
    forger = _from("10.0.0.9", "sw_deadbeef_not-a-key")
    # when a caller with a made-up key books and looks twice each
    books = [forger.post("/bookings", booking(event_type, DAY[n])).status for n in range(2)]
    looks = [forger.get(slots_query(event_type)).status for _ in range(2)]
    # then the public endpoints ignore the key, and count the caller by its address
    assert books == [201, 429] and looks == [200, 429]


def test_a_bad_key_on_a_change_is_refused_before_any_budget_is_spent(api: Api, settings: Any, store: str) -> None:
    # given one booking change per address, and a booking
    limits_on(settings, writes="2/hour")
    event_type = make_event_type(api, make_host(api))
    attendee = rest_from("127.0.0.1")
    made = attendee.post("/bookings", booking(event_type, DAY[0])).data
    # when a caller at the same address sends a made-up key to cancel it
    forged = _from("127.0.0.1", "sw_deadbeef_not-a-key").post(f"/bookings/{made['uid']}/cancel", {})
    # then it is unauthorised, and the address still has its second change
    assert forged.status == 401
    token = {"X-Cancel-Token": made["cancelToken"]}
    assert attendee.post(f"/bookings/{made['uid']}/cancel", {}, headers=token).status == 200


def test_off_for_the_write_budget_leaves_the_read_and_event_type_budgets_on(
    api: Api, settings: Any, store: str
) -> None:
    # given SLOTWISE_PUBLIC_RATE_LIMIT=off and budgets of one for the rest
    limits_on(settings, writes="off", reads="1/hour", event_type_writes="2/hour", event_type_reads="off")
    event_type = make_event_type(api, make_host(api))
    caller = rest_from("127.0.0.1")
    # when one address books three times and looks twice
    books = [caller.post("/bookings", booking(event_type, DAY[n])).status for n in range(3)]
    looks = [caller.get(slots_query(event_type)).status for _ in range(2)]
    # then its own write budget is off, but the event type's still stops the third booking,
    # and its read budget the second lookup
    assert books == [201, 201, 429] and looks == [200, 429]
