"""GraphQL mutations: the same commands, rules, codes and idempotency keys as REST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booking.api_keys import create_api_key
from booking.application import Slotwise
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql
from tests.support import events_in

NINE, TEN = "2026-01-06T08:00:00Z", "2026-01-06T09:00:00Z"  # Tuesday 09:00 and 10:00 in Berlin
RESCHEDULE = """mutation($input: BookingRescheduleInput!) {
  bookingReschedule(input: $input) { booking { uid start status } cancelToken position errors { field code message } }
}"""
CANCEL = """mutation($input: BookingCancelInput!) {
  bookingCancel(input: $input) { booking { uid status } position errors { field code message } }
}"""


def _setup(api: Api, **fields: Any) -> str:
    return make_event_type(api, make_host(api), bookingWindowDays=10, minimumNoticeMinutes=60, **fields)


def _create(gql: Gql, event_type: str, start: str, **extra: Any) -> dict[str, Any]:
    person = extra.pop("attendee", attendee())
    reply = gql(BOOK, {"input": {"eventTypeId": event_type, "start": start, "attendee": person, **extra}})
    assert reply.status == 200 and not reply.errors, reply.body
    return dict(reply.data["bookingCreate"])


def _codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def test_booking_create_books_and_the_views_show_it(
    app: Slotwise, api: Api, project: Callable[[], None], api_key: str
) -> None:
    event_type = _setup(api)
    made = _create(Gql(), event_type, NINE)
    assert made["errors"] == [] and made["booking"]["status"] == "ACCEPTED"
    assert made["booking"]["start"] == "2026-01-06T08:00:00+00:00"
    assert made["booking"]["startLocal"] == "2026-01-06T09:00:00+01:00" and made["cancelToken"]
    uid = made["booking"]["uid"]
    assert api.get(f"/bookings/{uid}").data["start"] == "2026-01-06T08:00:00+00:00"
    project()
    read = Gql(api_key)(
        "query($u: ID!, $p: BigInt) { booking(uid: $u, minPosition: $p) { uid status } }",
        {
            "u": uid,
            "p": made["position"],
        },
    )
    assert read.data == {"booking": {"uid": uid, "status": "ACCEPTED"}}


def test_every_refusal_has_the_rest_code_and_writes_nothing(app: Slotwise, api: Api, clock: Any) -> None:
    event_type = _setup(api, maxBookingsPerDay=1)
    gql = Gql()
    _create(gql, event_type, NINE)
    count = events_in(app)
    bad_person = {"name": " ", "email": "nope", "timeZone": "Mars/Base"}
    cases: list[tuple[dict[str, Any], list[tuple[str | None, str]]]] = [
        ({"eventTypeId": "x"}, [("eventTypeId", "validation_error")]),
        ({"start": "2026-01-06 08:00"}, [("start", "validation_error")]),
        ({"start": "2026-02-30T08:00:00Z"}, [("start", "validation_error")]),
        (
            {"attendee": bad_person},
            [
                ("attendee.name", "validation_error"),
                ("attendee.email", "validation_error"),
                ("attendee.timeZone", "validation_error"),
            ],
        ),
        ({"eventTypeId": "00000000-0000-4000-8000-000000000000"}, [("eventTypeId", "validation_error")]),
        ({"start": "2026-01-05T08:10:00Z"}, [("start", "outside_availability")]),
        ({"start": "2026-01-05T08:30:00Z"}, [("start", "too_short_notice")]),
        ({"start": "2026-01-20T08:00:00Z"}, [("start", "beyond_booking_window")]),
        ({}, [("start", "slot_unavailable")]),
        ({"start": TEN}, [("start", "daily_limit_reached")]),
        ({"idempotencyKey": "é"}, [("idempotencyKey", "validation_error")]),
    ]
    for change, expected in cases:
        person = change.pop("attendee", attendee())
        payload = {"eventTypeId": event_type, "start": NINE, **change}
        reply = gql(BOOK, {"input": {**payload, "attendee": person}})
        assert reply.status == 200 and not reply.errors, reply.body
        got = reply.data["bookingCreate"]
        assert got["booking"] is None and _codes(got) == expected, (change, got)
    assert events_in(app) == count


def test_reschedule_and_cancel_refusals(app: Slotwise, api: Api, api_key: str) -> None:
    event_type = _setup(api)
    made = _create(Gql(), event_type, NINE)
    other = _create(Gql(), event_type, TEN)
    uid, token = made["booking"]["uid"], made["cancelToken"]
    owner, invitee, stranger = Gql(api_key), Gql(cancel_token=token), Gql(create_api_key("globex"))
    count = events_in(app)

    def reschedule(gql: Gql, start: str, target: str = uid) -> dict[str, Any]:
        return dict(gql(RESCHEDULE, {"input": {"uid": target, "start": start}}).data["bookingReschedule"])

    def cancel(gql: Gql, target: str = uid, reason: str = "x") -> dict[str, Any]:
        return dict(gql(CANCEL, {"input": {"uid": target, "reason": reason}}).data["bookingCancel"])

    assert _codes(reschedule(invitee, TEN)) == [("start", "slot_unavailable")]
    assert _codes(reschedule(invitee, "2026-01-06T08:10:00Z")) == [("start", "outside_availability")]
    assert _codes(reschedule(invitee, "soon")) == [("start", "validation_error")]
    assert _codes(reschedule(Gql(), "2026-01-06T11:00:00Z")) == [("uid", "not_found")]
    assert _codes(reschedule(stranger, "2026-01-06T11:00:00Z")) == [("uid", "not_found")]
    assert _codes(reschedule(invitee, "2026-01-06T11:00:00Z", target=other["booking"]["uid"])) == [("uid", "not_found")]
    assert _codes(reschedule(invitee, "2026-01-06T11:00:00Z", target="nope")) == [("uid", "validation_error")]
    assert _codes(cancel(invitee, reason="x" * 501)) == [("reason", "validation_error")]
    assert events_in(app) == count
    moved = reschedule(owner, "2026-01-06T11:00:00Z")
    assert moved["errors"] == [] and moved["booking"] == {
        "uid": uid,
        "start": "2026-01-06T11:00:00+00:00",
        "status": "ACCEPTED",
    }
    assert _codes(cancel(invitee)) == [("uid", "not_found")]  # the reschedule retired the invitee's token
    invitee = Gql(cancel_token=moved["cancelToken"])
    done = cancel(invitee)
    assert done["errors"] == [] and done["booking"]["status"] == "CANCELLED"
    count = events_in(app)
    assert _codes(cancel(invitee)) == [("uid", "booking_cancelled")]
    assert _codes(reschedule(owner, "2026-01-06T12:00:00Z"))[0][1] == "booking_cancelled"
    assert events_in(app) == count


def test_one_idempotency_key_makes_one_booking_through_either_api(app: Slotwise, api: Api, public: Api) -> None:
    event_type = _setup(api)
    gql = Gql()
    first = _create(gql, event_type, NINE, idempotencyKey="tap-1")
    count = events_in(app)
    again = _create(gql, event_type, NINE, idempotencyKey="tap-1")
    assert again == first
    # the same booking asked for over REST with the same key: the first booking, not a 409
    body = {"eventTypeId": event_type, "start": "2026-01-06T09:00:00+01:00", "attendee": attendee()}
    rest = public.post("/bookings", body, headers={"Idempotency-Key": "tap-1"})
    assert rest.status == 201 and rest.data["uid"] == first["booking"]["uid"]
    assert rest.data["cancelToken"] == first["cancelToken"] and rest.body["meta"]["position"] == first["position"]
    assert events_in(app) == count
    # and the other way round: REST first, then GraphQL
    made = public.post("/bookings", {**body, "start": TEN}, headers={"Idempotency-Key": "tap-2"})
    replayed = _create(gql, event_type, TEN, idempotencyKey="tap-2")
    assert replayed["booking"]["uid"] == made.data["uid"]
    # a different booking under a used key is refused, over either API
    changed = _create(gql, event_type, "2026-01-06T11:00:00Z", idempotencyKey="tap-1")
    assert _codes(changed) == [("idempotencyKey", "idempotency_key_reused")]
    refused = public.post("/bookings", {**body, "start": "2026-01-06T11:00:00Z"}, headers={"Idempotency-Key": "tap-2"})
    assert (refused.status, refused.code) == (422, "idempotency_key_reused")


def test_a_key_that_is_not_valid_is_refused_before_anything_runs(app: Slotwise, api: Api) -> None:
    event_type = _setup(api)
    count = events_in(app)
    reply = Gql("not-a-key")(BOOK, {"input": {"eventTypeId": event_type, "start": NINE, "attendee": attendee()}})
    assert reply.status == 401 and reply.codes == ["unauthorized"] and reply.data is None
    assert events_in(app) == count
