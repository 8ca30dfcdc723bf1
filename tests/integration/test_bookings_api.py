"""Booking over REST: create, read, history, reschedule, cancel, tokens and idempotency."""

from __future__ import annotations

import json

from booking.application import Slotwise
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.support import events_in

# Tuesday 2026-01-06, 09:00 and 10:00 in Berlin (UTC+1)
NINE = "2026-01-06T08:00:00+00:00"
TEN = "2026-01-06T09:00:00+00:00"


def _setup(api: Api, **event_type: object) -> str:
    return make_event_type(api, make_host(api), **event_type)


def test_booking_is_created_readable_and_has_a_history(api: Api, public: Api) -> None:
    event_type_id = _setup(api)
    created = public.post(
        "/bookings", {"eventTypeId": event_type_id, "start": "2026-01-06T09:00:00+01:00", "attendee": attendee()}
    )
    assert created.status == 201
    data = created.data
    assert data["status"] == "accepted" and data["start"] == NINE and data["end"] == "2026-01-06T08:30:00+00:00"
    assert data["eventTypeId"] == event_type_id and data["attendee"] == attendee()
    assert created.body["meta"]["position"] > 0
    token = {"X-Cancel-Token": data["cancelToken"]}
    read = public.get(f"/bookings/{data['uid']}", headers=token)
    assert read.status == 200 and read.data["uid"] == data["uid"] and "cancelToken" not in read.data
    assert api.get(f"/bookings/{data['uid']}").status == 200
    history = api.get(f"/bookings/{data['uid']}/history")
    assert [(e["type"], e["version"]) for e in history.data] == [("booking.created", 1)]
    assert history.data[0]["data"]["attendee"] == attendee()


def test_wrong_token_or_no_credentials_is_not_found(api: Api, public: Api) -> None:
    event_type_id = _setup(api)
    uid = public.post("/bookings", {"eventTypeId": event_type_id, "start": NINE, "attendee": attendee()}).data["uid"]
    assert public.get(f"/bookings/{uid}").status == 404
    assert public.get(f"/bookings/{uid}", headers={"X-Cancel-Token": "forged"}).status == 404
    assert public.get(f"/bookings/{uid}/history").status == 404
    assert public.post(f"/bookings/{uid}/cancel", {"reason": "x"}, headers={"X-Cancel-Token": "forged"}).status == 404


def test_reschedule_moves_the_hold_and_cancel_frees_it(api: Api, public: Api) -> None:
    event_type_id = _setup(api)
    first = public.post("/bookings", {"eventTypeId": event_type_id, "start": NINE, "attendee": attendee()}).data
    token = {"X-Cancel-Token": first["cancelToken"]}
    moved = public.post(f"/bookings/{first['uid']}/reschedule", {"start": TEN}, headers=token)
    assert moved.status == 200 and moved.data["uid"] == first["uid"] and moved.data["start"] == TEN
    token = {"X-Cancel-Token": moved.data["cancelToken"]}  # a reschedule retires the old token
    # the old slot is free again, the new one is taken
    assert public.post("/bookings", {"eventTypeId": event_type_id, "start": NINE, "attendee": attendee()}).status == 201
    taken = public.post("/bookings", {"eventTypeId": event_type_id, "start": TEN, "attendee": attendee()})
    assert taken.status == 409 and taken.code == "slot_unavailable"
    cancelled = public.post(f"/bookings/{first['uid']}/cancel", {"reason": "ill"}, headers=token)
    assert cancelled.status == 200 and cancelled.data["status"] == "cancelled"
    assert cancelled.data["cancellationReason"] == "ill"
    assert public.post("/bookings", {"eventTypeId": event_type_id, "start": TEN, "attendee": attendee()}).status == 201
    history = api.get(f"/bookings/{first['uid']}/history").data
    assert [e["type"] for e in history] == ["booking.created", "booking.rescheduled", "booking.cancelled"]
    assert history[1]["data"]["fromStart"] == NINE and history[1]["data"]["toStart"] == TEN
    again = public.post(f"/bookings/{first['uid']}/cancel", {"reason": "twice"}, headers=token)
    assert again.status == 409 and again.code == "booking_cancelled"
    late = public.post(f"/bookings/{first['uid']}/reschedule", {"start": NINE}, headers=token)
    assert late.status == 409 and late.code == "booking_cancelled"


def test_overlaps_of_other_lengths_and_buffers_are_refused(api: Api, public: Api) -> None:
    host_id = make_host(api)
    short = make_event_type(api, host_id, slug="short", lengthInMinutes=30, bufferAfterMinutes=15)
    long_ = make_event_type(api, host_id, slug="long", lengthInMinutes=60, slotIntervalMinutes=15)
    assert public.post("/bookings", {"eventTypeId": short, "start": NINE, "attendee": attendee()}).status == 201
    # 08:15Z overlaps the meeting; 08:30Z falls in its 15-minute after-buffer; 08:45Z is clear
    for start, code in (("2026-01-06T08:15:00Z", "slot_unavailable"), ("2026-01-06T08:30:00Z", "slot_unavailable")):
        refused = public.post("/bookings", {"eventTypeId": long_, "start": start, "attendee": attendee()})
        assert (refused.status, refused.code) == (409, code)
    assert (
        public.post("/bookings", {"eventTypeId": long_, "start": "2026-01-06T08:45:00Z", "attendee": attendee()}).status
        == 201
    )


def test_rules_refuse_with_their_own_codes(api: Api, public: Api, clock) -> None:  # type: ignore[no-untyped-def]
    event_type_id = _setup(api, minimumNoticeMinutes=120, bookingWindowDays=7, maxBookingsPerDay=1)
    cases = [
        ("2026-01-05T08:30:00Z", 422, "too_short_notice"),
        ("2026-01-05T08:10:00Z", 422, "outside_availability"),  # misaligned
        ("2026-01-06T20:00:00Z", 422, "outside_availability"),  # after hours
        ("2026-01-20T08:00:00Z", 422, "beyond_booking_window"),
    ]
    for start, status, code in cases:
        refused = public.post("/bookings", {"eventTypeId": event_type_id, "start": start, "attendee": attendee()})
        assert (refused.status, refused.code) == (status, code), start
        assert refused.body["errors"][0]["field"] == "start"
    assert public.post("/bookings", {"eventTypeId": event_type_id, "start": NINE, "attendee": attendee()}).status == 201
    full = public.post("/bookings", {"eventTypeId": event_type_id, "start": TEN, "attendee": attendee()})
    assert (full.status, full.code) == (409, "daily_limit_reached")


def test_same_idempotency_key_and_body_replays_the_first_response(app: Slotwise, api: Api, public: Api) -> None:
    event_type_id = _setup(api)
    body = {"eventTypeId": event_type_id, "start": NINE, "attendee": attendee()}
    key = {"Idempotency-Key": "click-1"}
    first = public.post("/bookings", body, headers=key)
    count = events_in(app)
    # the same JSON with other key order and spacing is the same request
    reordered = json.dumps({"attendee": attendee(), "start": NINE, "eventTypeId": event_type_id}, indent=2)
    again = public.call("POST", "/bookings", raw=reordered, headers=key)
    assert (again.status, again.body) == (first.status, first.body)
    assert events_in(app) == count
    changed = public.post("/bookings", {**body, "start": TEN}, headers=key)
    assert (changed.status, changed.code) == (422, "idempotency_key_reused")
    assert events_in(app) == count


def test_idempotency_keys_are_scoped_per_organisation(api: Api) -> None:
    from booking.api_keys import create_api_key

    other = Api(create_api_key("globex"))
    body = {"name": "Ada", "email": "ada@example.com", "timeZone": "UTC"}
    mine = api.post("/hosts", body, headers={"Idempotency-Key": "same"})
    theirs = other.post("/hosts", body, headers={"Idempotency-Key": "same"})
    assert mine.status == theirs.status == 201 and mine.data["id"] != theirs.data["id"]
    assert api.post("/hosts", body, headers={"Idempotency-Key": "same"}).data["id"] == mine.data["id"]
