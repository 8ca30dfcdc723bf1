"""Whose idempotency keys a booking command shares, and when a replay may carry a cancel token.

A public booking's key lives in the scope of its event type and its attendee's email; a token
holder's reschedule or cancel key in the scope of that one booking; keyed calls in the
organisation's. A replayed answer carries the cancel token only while that token is still the
booking's current one.
"""

from __future__ import annotations

from typing import Any

from booking.application import Slotwise
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql
from tests.support import events_in

# Tuesday 2026-01-06 in Berlin (UTC+1): 09:00, 10:00, 11:00 and 12:00
NINE, TEN, ELEVEN, NOON = (f"2026-01-06T{h:02d}:00:00+00:00" for h in (8, 9, 10, 11))
ADA = {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Berlin"}
BO = {"name": "Bo", "email": "bo@example.com", "timeZone": "America/New_York"}


def _setup(api: Api) -> str:
    return make_event_type(api, make_host(api))


def _booking(event_type: str, start: str, person: dict[str, str]) -> dict[str, Any]:
    return {"eventTypeId": event_type, "start": start, "attendee": person}


def _key(value: str, token: str | None = None) -> dict[str, str]:
    return {"Idempotency-Key": value, **({"X-Cancel-Token": token} if token else {})}


def test_two_attendees_with_one_key_each_get_their_own_booking_and_token(api: Api, public: Api) -> None:
    # given one event type, and a key two attendees' clients happen to choose alike
    event_type = _setup(api)
    # when each books with it
    ada = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("1"))
    bo = public.post("/bookings", _booking(event_type, TEN, BO), headers=_key("1"))
    # then each has a booking of their own, with a token of their own
    assert (ada.status, bo.status) == (201, 201), bo.body
    assert bo.data["uid"] != ada.data["uid"] and bo.data["attendee"] == BO
    assert bo.data["cancelToken"] != ada.data["cancelToken"]


def test_another_attendee_sending_a_used_key_learns_nothing_of_it(app: Slotwise, api: Api, public: Api) -> None:
    # given Ada's booking under her key
    event_type = _setup(api)
    ada = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("guessable"))
    count = events_in(app)
    # when someone else sends her key for her slot, with their own details
    probe = public.post("/bookings", _booking(event_type, NINE, BO), headers=_key("guessable"))
    # then it is refused as any taken slot is: no sign of her key, her booking or her token
    assert (probe.status, probe.code) == (409, "slot_unavailable"), probe.body
    assert ada.data["cancelToken"] not in str(probe.body) and ada.data["uid"] not in str(probe.body)
    assert events_in(app) == count


def test_the_same_attendee_retrying_lands_on_the_same_booking_and_token(app: Slotwise, api: Api, public: Api) -> None:
    # given Ada's booking under her key
    event_type = _setup(api)
    first = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1"))
    count = events_in(app)
    # when her client retries the very same request
    again = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1"))
    # then it answers as the first time did, token included, and writes nothing
    assert (again.status, again.body) == (first.status, first.body)
    assert again.data["cancelToken"] and events_in(app) == count


def test_a_replay_must_repeat_every_field_of_the_first_request(app: Slotwise, api: Api, public: Api) -> None:
    # given Ada's booking under her key
    event_type = _setup(api)
    public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1"))
    count = events_in(app)
    changes = [
        _booking(event_type, NINE, {**ADA, "name": "Ada L."}),
        _booking(event_type, NINE, {**ADA, "timeZone": "UTC"}),
        _booking(event_type, NINE, {**ADA, "email": "ADA@example.com"}),  # her key space, not her request
        _booking(event_type, TEN, ADA),
    ]
    for changed in changes:
        # when the key comes again with any one field changed
        reply = public.post("/bookings", changed, headers=_key("tap-1"))
        # then it is a different request under a used key: no replay, no token, nothing written
        assert (reply.status, reply.code) == (422, "idempotency_key_reused"), changed
        assert "data" not in reply.body
    assert events_in(app) == count


def test_token_holders_keys_belong_to_their_own_booking(api: Api, public: Api) -> None:
    # given two bookings of one event type
    event_type = _setup(api)
    ada = public.post("/bookings", _booking(event_type, NINE, ADA)).data
    bo = public.post("/bookings", _booking(event_type, TEN, BO)).data
    # when each attendee moves their own booking with the same key
    moved_ada = public.post(
        f"/bookings/{ada['uid']}/reschedule", {"start": ELEVEN}, headers=_key("move", ada["cancelToken"])
    )
    moved_bo = public.post(
        f"/bookings/{bo['uid']}/reschedule", {"start": NOON}, headers=_key("move", bo["cancelToken"])
    )
    # then both move: one booking's keys never meet another's
    assert (moved_ada.status, moved_bo.status) == (200, 200), moved_bo.body
    assert (moved_ada.data["start"], moved_bo.data["start"]) == (ELEVEN, NOON)


def test_graphql_shares_the_scopes_and_replays_across_the_apis(api: Api, public: Api) -> None:
    # given one event type, and two attendees booking over GraphQL with the same key
    event_type = _setup(api)
    gql = Gql()

    def create(start: str, person: dict[str, str]) -> dict[str, Any]:
        reply = gql(BOOK, {"input": {**_booking(event_type, start, person), "idempotencyKey": "k"}})
        return dict(reply.data["bookingCreate"])

    ada, bo = create(NINE, ADA), create(TEN, BO)
    # then each has their own booking and token
    assert ada["errors"] == bo["errors"] == []
    assert ada["booking"]["uid"] != bo["booking"]["uid"] and ada["cancelToken"] != bo["cancelToken"]
    # and when Bo's client retries over REST with the same key, it lands on his booking and token
    rest = public.post("/bookings", _booking(event_type, TEN, BO), headers=_key("k"))
    assert rest.status == 201 and rest.data["uid"] == bo["booking"]["uid"]
    assert rest.data["cancelToken"] == bo["cancelToken"]


def test_a_create_replay_carries_no_token_once_the_booking_was_rescheduled(api: Api, public: Api) -> None:
    # given Ada's booking under her key, then moved with its token
    event_type = _setup(api)
    first = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1")).data
    moved = public.post(f"/bookings/{first['uid']}/reschedule", {"start": TEN}, headers=_key("m", first["cancelToken"]))
    assert moved.status == 200
    # when the first request is retried
    again = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1"))
    # then it still names the booking, as it was made, but hands out no token: neither the dead one nor the new one
    assert again.status == 201 and again.data["uid"] == first["uid"] and again.data["start"] == NINE
    assert "cancelToken" not in again.data
    # and over GraphQL the token is null
    replayed = Gql()(BOOK, {"input": {**_booking(event_type, NINE, ADA), "idempotencyKey": "tap-1"}})
    made = replayed.data["bookingCreate"]
    assert made["booking"]["uid"] == first["uid"] and made["cancelToken"] is None


def test_a_create_replay_carries_no_token_once_the_token_was_revoked(api: Api, public: Api) -> None:
    # given Ada's booking under her key, whose token the organisation revoked
    event_type = _setup(api)
    first = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1")).data
    assert api.post(f"/bookings/{first['uid']}/cancel-token/revoke").status == 200
    # when the first request is retried, over either API
    again = public.post("/bookings", _booking(event_type, NINE, ADA), headers=_key("tap-1"))
    replayed = Gql()(BOOK, {"input": {**_booking(event_type, NINE, ADA), "idempotencyKey": "tap-1"}})
    # then neither answer carries a token
    assert again.status == 201 and again.data["uid"] == first["uid"] and "cancelToken" not in again.data
    assert replayed.data["bookingCreate"]["cancelToken"] is None


def test_a_reschedule_replay_carries_the_token_only_while_it_is_current(api: Api, public: Api) -> None:
    # given a booking moved by its attendee under a key
    event_type = _setup(api)
    made = public.post("/bookings", _booking(event_type, NINE, ADA)).data
    uid, old = made["uid"], made["cancelToken"]
    moved = public.post(f"/bookings/{uid}/reschedule", {"start": TEN}, headers=_key("m", old))
    new = moved.data["cancelToken"]
    # when the attendee retries it with the new token, it answers as the first time did
    again = public.post(f"/bookings/{uid}/reschedule", {"start": TEN}, headers=_key("m", new))
    assert (again.status, again.body) == (moved.status, moved.body)
    # and with the token the reschedule retired, nothing answers at all
    assert public.post(f"/bookings/{uid}/reschedule", {"start": TEN}, headers=_key("m", old)).status == 404
    # and once the organisation revoked the token, the replay it answers carries none
    fresh = api.post(f"/bookings/{uid}/cancel-token/revoke").data["cancelToken"]
    late = public.post(f"/bookings/{uid}/reschedule", {"start": TEN}, headers=_key("m", fresh))
    assert late.status == 200 and late.data["start"] == TEN and "cancelToken" not in late.data
