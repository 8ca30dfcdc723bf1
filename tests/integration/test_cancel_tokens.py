"""Cancel tokens rotate on reschedule, expire when the booking ends and can be revoked, over both APIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from django.conf import settings
from eventsourcing.persistence import StoredEvent

from booking import bookings
from booking.api_keys import create_api_key
from booking.application import Slotwise
from booking.bootstrap import set_app, store_env
from booking.domain.booking import Booking
from booking.domain.errors import NotFound
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql
from tests.support import Clock, events_in

# Tuesday 2026-01-06 in Berlin (UTC+1): 09:00 and 10:00; meetings are 30 minutes
NINE, TEN = "2026-01-06T08:00:00+00:00", "2026-01-06T09:00:00+00:00"
NINE_THIRTY = datetime.fromisoformat("2026-01-06T08:30:00+00:00")
READ = "query($u: ID!) { booking(uid: $u) { uid start } }"
RESCHEDULE = """mutation($input: BookingRescheduleInput!) {
  bookingReschedule(input: $input) { booking { uid start } cancelToken errors { field code message } }
}"""
CANCEL = """mutation($input: BookingCancelInput!) {
  bookingCancel(input: $input) { booking { uid status } errors { field code message } }
}"""


def _book(api: Api, public: Api, start: str = NINE) -> tuple[str, str]:
    event_type = make_event_type(api, make_host(api))
    made = public.post("/bookings", {"eventTypeId": event_type, "start": start, "attendee": attendee()})
    assert made.status == 201, made.body
    return made.data["uid"], made.data["cancelToken"]


def _token(value: str) -> dict[str, str]:
    return {"X-Cancel-Token": value}


def _opens(public: Api, uid: str, token: str) -> int:
    """The status a read of the booking with `token` answers."""
    return public.get(f"/bookings/{uid}", headers=_token(token)).status


def test_a_reschedule_rotates_the_token(api: Api, public: Api) -> None:
    # given a booking and its token
    uid, old = _book(api, public)
    # when the attendee moves it
    moved = public.post(f"/bookings/{uid}/reschedule", {"start": TEN}, headers=_token(old))
    # then the answer carries a new token, and only the new one opens the booking
    assert moved.status == 200 and moved.data["start"] == TEN
    new = moved.data["cancelToken"]
    assert new and new != old
    assert (_opens(public, uid, old), _opens(public, uid, new)) == (404, 200)
    assert public.post(f"/bookings/{uid}/cancel", {"reason": "x"}, headers=_token(old)).status == 404
    assert public.post(f"/bookings/{uid}/reschedule", {"start": NINE}, headers=_token(old)).status == 404
    # and cancelling (which makes no token) answers without one
    done = public.post(f"/bookings/{uid}/cancel", {"reason": "x"}, headers=_token(new))
    assert done.status == 200 and "cancelToken" not in done.data


def test_an_organisation_reschedule_rotates_the_token_and_tells_the_organisation(api: Api, public: Api) -> None:
    # given a booking and its token
    uid, old = _book(api, public)
    # when the organisation moves it with its key
    moved = api.post(f"/bookings/{uid}/reschedule", {"start": TEN})
    # then the attendee's token is retired and the organisation holds the new one
    assert moved.status == 200 and moved.data["cancelToken"] not in (None, old)
    assert (_opens(public, uid, old), _opens(public, uid, moved.data["cancelToken"])) == (404, 200)


def test_graphql_reschedule_answers_with_the_new_token_and_reads_follow_it(
    api: Api, project: Callable[[], None]
) -> None:
    # given a booking made over GraphQL
    event_type = make_event_type(api, make_host(api))
    made = Gql()(BOOK, {"input": {"eventTypeId": event_type, "start": NINE, "attendee": attendee()}})
    uid, old = made.data["bookingCreate"]["booking"]["uid"], made.data["bookingCreate"]["cancelToken"]
    # when the attendee moves it
    moved = Gql(cancel_token=old)(RESCHEDULE, {"input": {"uid": uid, "start": TEN}}).data["bookingReschedule"]
    # then the payload carries the new token
    assert moved["errors"] == [] and moved["booking"]["start"] == "2026-01-06T09:00:00+00:00"
    new = moved["cancelToken"]
    assert new and new != old
    # and the booking query opens for the new token only, though the view has no idea of tokens
    project()
    stale = Gql(cancel_token=old)(READ, {"u": uid})
    assert stale.data == {"booking": None} and stale.codes == ["not_found"]
    assert Gql(cancel_token=new)(READ, {"u": uid}).data["booking"]["uid"] == uid
    # and the retired token moves nothing either
    again = Gql(cancel_token=old)(RESCHEDULE, {"input": {"uid": uid, "start": NINE}}).data["bookingReschedule"]
    assert [e["code"] for e in again["errors"]] == ["not_found"] and again["cancelToken"] is None


def test_a_token_works_until_its_booking_ends(app: Slotwise, api: Api, public: Api, clock: Clock) -> None:
    # given a booking from 08:00 to 08:30 UTC and its token
    uid, token = _book(api, public)
    # when the clock reaches the last moment before its end, the token still opens it
    clock.now = NINE_THIRTY - timedelta(microseconds=1)
    assert _opens(public, uid, token) == 200
    # and once the booking has ended
    clock.now = NINE_THIRTY
    count = events_in(app)
    # then every use of the token is refused as expired, naming the header, and nothing is written
    calls = [
        public.get(f"/bookings/{uid}", headers=_token(token)),
        public.get(f"/bookings/{uid}/history", headers=_token(token)),
        public.post(f"/bookings/{uid}/reschedule", {"start": "2026-01-07T08:00:00Z"}, headers=_token(token)),
        public.post(f"/bookings/{uid}/cancel", {"reason": "late"}, headers=_token(token)),
    ]
    for reply in calls:
        assert (reply.status, reply.code) == (410, "cancel_token_expired"), reply.body
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert reply.fields == ["X-Cancel-Token"]
    assert events_in(app) == count
    # and a token that was never this booking's is still just not found
    other = token[:-1] + ("B" if token.endswith("A") else "A")  # one in 64 tokens already ends with A
    assert public.get(f"/bookings/{uid}", headers=_token(other)).status == 404
    # and the organisation's key has no such limit
    assert api.get(f"/bookings/{uid}").status == 200


def test_graphql_refuses_an_expired_token_with_its_code(
    app: Slotwise, api: Api, public: Api, clock: Clock, project: Callable[[], None]
) -> None:
    # given a booking whose time is over
    uid, token = _book(api, public)
    project()
    clock.now = NINE_THIRTY + timedelta(days=1)
    count = events_in(app)
    # when its token reads it or cancels it over GraphQL
    read = Gql(cancel_token=token)(READ, {"u": uid})
    cancel = Gql(cancel_token=token)(CANCEL, {"input": {"uid": uid, "reason": "late"}}).data["bookingCancel"]
    # then both are refused as expired, and nothing is written
    assert read.data == {"booking": None} and read.codes == ["cancel_token_expired"]
    assert cancel["booking"] is None
    assert [(e["field"], e["code"]) for e in cancel["errors"]] == [("X-Cancel-Token", "cancel_token_expired")]
    assert events_in(app) == count


def test_the_organisation_revokes_a_token_and_gets_a_fresh_one(app: Slotwise, api: Api, public: Api) -> None:
    # given a booking and its token
    uid, old = _book(api, public)
    # when the organisation revokes the token
    revoked = api.post(f"/bookings/{uid}/cancel-token/revoke")
    # then the answer is the booking with a fresh token, and only the fresh one opens it
    assert revoked.status == 200 and revoked.data["uid"] == uid and revoked.body["meta"]["position"] > 0
    fresh = revoked.data["cancelToken"]
    assert fresh and fresh != old
    assert (_opens(public, uid, old), _opens(public, uid, fresh)) == (404, 200)
    # and the booking's history records it
    history = api.get(f"/bookings/{uid}/history").data
    assert [e["type"] for e in history] == ["booking.created", "booking.cancel_token_revoked"]
    # and revoking again retires the fresh token as well
    again = api.post(f"/bookings/{uid}/cancel-token/revoke").data["cancelToken"]
    assert (_opens(public, uid, fresh), _opens(public, uid, again)) == (404, 200)


def test_only_the_booking_s_organisation_may_revoke_its_token(app: Slotwise, api: Api, public: Api) -> None:
    # given a booking and its token
    uid, token = _book(api, public)
    other_organisation = Api(create_api_key("globex"))
    count = events_in(app)
    # when anyone but its organisation tries to revoke it
    anonymous = public.post(f"/bookings/{uid}/cancel-token/revoke")
    holder = public.post(f"/bookings/{uid}/cancel-token/revoke", headers=_token(token))
    stranger = other_organisation.post(f"/bookings/{uid}/cancel-token/revoke")
    # then they are refused, nothing is written, and the token still works
    assert [(r.status, r.code) for r in (anonymous, holder, stranger)] == [
        (401, "unauthorized"),
        (401, "unauthorized"),
        (404, "not_found"),
    ]
    assert events_in(app) == count and _opens(public, uid, token) == 200


def test_a_revoke_retried_with_its_key_revokes_once(app: Slotwise, api: Api, public: Api) -> None:
    # given a token revoked under an Idempotency-Key
    uid, _ = _book(api, public)
    first = api.post(f"/bookings/{uid}/cancel-token/revoke", headers={"Idempotency-Key": "r-1"})
    count = events_in(app)
    # when the organisation's client retries it
    again = api.post(f"/bookings/{uid}/cancel-token/revoke", headers={"Idempotency-Key": "r-1"})
    # then it answers as the first time did, and the fresh token stays the live one
    assert (again.status, again.body) == (first.status, first.body) and events_in(app) == count
    assert _opens(public, uid, first.data["cancelToken"]) == 200


def test_graphql_reads_refuse_a_revoked_token(api: Api, public: Api, project: Callable[[], None]) -> None:
    # given a booking in the views whose token was revoked
    uid, old = _book(api, public)
    fresh = api.post(f"/bookings/{uid}/cancel-token/revoke").data["cancelToken"]
    project()
    # then the booking query opens for the fresh token only
    stale = Gql(cancel_token=old)(READ, {"u": uid})
    assert stale.data == {"booking": None} and stale.codes == ["not_found"]
    assert Gql(cancel_token=fresh)(READ, {"u": uid}).data["booking"]["uid"] == uid


@pytest.mark.parametrize(
    "token",
    ["é" * 32, "\u2603", "x" * 5000, " ", "A" * 31 + "é"],
    ids=["non-ascii", "snowman", "overlong", "blank", "one-non-ascii-character"],
)
def test_a_token_of_any_other_shape_simply_does_not_match(
    app: Slotwise, api: Api, public: Api, project: Callable[[], None], token: str
) -> None:
    # given a booking in the views
    uid, _ = _book(api, public)
    project()
    # when a token that cannot be one is sent to every place that reads tokens
    replies = [
        public.get(f"/bookings/{uid}", headers=_token(token)),
        public.post(f"/bookings/{uid}/cancel", {"reason": "x"}, headers=_token(token)),
    ]
    read = Gql(cancel_token=token)(READ, {"u": uid})
    # then it is no match: not found, never an error of ours
    assert [(r.status, r.code) for r in replies] == [(404, "not_found")] * 2
    assert read.status == 200 and read.codes == ["not_found"]


def test_a_token_holder_s_change_loses_to_a_revocation_that_committed_first(
    app: Slotwise, api: Api, public: Api
) -> None:
    # given a booking whose token was checked for a change ...
    uid, token = _book(api, public)
    access = bookings.authorised(bookings.Caller(cancel_token=token), UUID(uid))
    # ... and revoked before the change was decided
    api.post(f"/bookings/{uid}/cancel-token/revoke")
    count = events_in(app)
    # when the change goes ahead with the generation the token was checked at
    with pytest.raises(NotFound):
        app.cancel_booking(UUID(uid), "x", token_generation=access.token_generation)
    with pytest.raises(NotFound):
        app.reschedule_booking(UUID(uid), datetime.fromisoformat(TEN), token_generation=access.token_generation)
    # then nothing is written: the revoked token lost
    assert events_in(app) == count and app.booking(UUID(uid)).status == "accepted"


def _legacy_token(uid: UUID) -> str:
    """A token as releases before rotation made them: HMAC of the uid alone."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"cancel-token/{uid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def _store_legacy_booking(app: Slotwise, booking: Any) -> UUID:
    """Stores a booking's events as releases before rotation did: reschedules without a token generation."""
    stored = []
    for event in booking.collect_events():
        original = app.mapper.to_stored_event(event)
        state = app.mapper.transcoder.decode(original.state)
        state.pop("token_generation", None)
        stored.append(
            StoredEvent(
                original.originator_id, original.originator_version, original.topic, app.mapper.transcoder.encode(state)
            )
        )
    app.recorder.insert_events(stored)
    return UUID(str(booking.id))


def test_bookings_stored_before_tokens_rotated_load_and_keep_their_token(
    app: Slotwise, clock: Clock, public: Api, api: Api
) -> None:
    # given a booking made and moved by an earlier release: its events carry no token generation
    start = datetime.fromisoformat(NINE)
    org = app.register_organisation("acme")
    old = Booking(
        organisation_id=org,
        host_id=uuid4(),
        event_type_id=uuid4(),
        start=start,
        end=start + timedelta(minutes=30),
        attendee=attendee(),
        reserved_dates=["2026-01-06"],
    )
    old.reschedule(start + timedelta(hours=1), start + timedelta(hours=1, minutes=30), ["2026-01-06"])
    uid = _store_legacy_booking(app, old)
    set_app(Slotwise(env=store_env(create_table=False), clock=clock))  # nothing cached from the write
    # then it loads at generation 0, and the token the earlier release gave out still opens it
    token = _legacy_token(uid)
    read = public.get(f"/bookings/{uid}", headers=_token(token))
    assert read.status == 200 and read.data["start"] == TEN
    # and revoking it moves it to generation 1 like any other booking
    fresh = api.post(f"/bookings/{uid}/cancel-token/revoke").data["cancelToken"]
    assert (_opens(public, uid, token), _opens(public, uid, fresh)) == (404, 200)
