"""Rescheduling and cancelling against the event type's budget: taken by the command once the
caller is let in (so REST and GraphQL share it, and the booking is read no more than the command
needs); a stranger spends nothing of it. On the real Redis and on the database store."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

import pytest

from booking.application import Slotwise
from tests.integration import limits_support
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.limits_support import DAY, booking, graphql_from, limits_on, rest_from
from tests.support import count_reads, events_in

store = limits_support.store
RESCHEDULE = """mutation Move($input: BookingRescheduleInput!) {
  bookingReschedule(input: $input) { booking { uid start } cancelToken errors { field code message } }
}"""
CANCEL = """mutation Cancel($input: BookingCancelInput!) {
  bookingCancel(input: $input) { booking { uid status } errors { field code message } }
}"""


@pytest.fixture
def reads(app: Slotwise, monkeypatch: pytest.MonkeyPatch) -> Counter[UUID]:
    """How often each aggregate is read from the event store, from now on."""
    return count_reads(app, monkeypatch)


def _booked(api: Api, start: str = DAY[0]) -> dict[str, Any]:
    made = rest_from("127.0.0.1").post("/bookings", booking(make_event_type(api, make_host(api)), start))
    assert made.status == 201, made.body
    return dict(made.data)


def test_one_rest_reschedule_reads_its_booking_twice(
    app: Slotwise, api: Api, settings: Any, store: str, reads: Counter[UUID]
) -> None:
    # given every public budget on, and a booking
    limits_on(settings, event_type_writes="60/hour")
    made = _booked(api)
    reads.clear()
    # when its attendee moves it
    moved = rest_from("127.0.0.1").post(
        f"/bookings/{made['uid']}/reschedule", {"start": DAY[2]}, headers={"X-Cancel-Token": made["cancelToken"]}
    )
    # then the booking was read twice: to let the caller in, and by the command
    assert moved.status == 200, moved.body
    assert reads[UUID(made["uid"])] == 2


def test_one_graphql_cancel_reads_its_booking_twice(
    app: Slotwise, api: Api, settings: Any, store: str, reads: Counter[UUID]
) -> None:
    limits_on(settings, event_type_writes="60/hour")
    made = _booked(api)
    reads.clear()
    cancelled = graphql_from("127.0.0.1", made["cancelToken"])(CANCEL, {"input": {"uid": made["uid"]}})
    assert cancelled.data["bookingCancel"]["errors"] == [], cancelled.body
    assert reads[UUID(made["uid"])] == 2


def test_a_rest_change_over_its_event_type_budget_is_refused_and_writes_nothing(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given two booking changes per event type, one spent on the booking itself
    limits_on(settings, event_type_writes="2/hour")
    made = _booked(api)
    attendee = rest_from("127.0.0.1")
    moved = attendee.post(
        f"/bookings/{made['uid']}/reschedule", {"start": DAY[2]}, headers={"X-Cancel-Token": made["cancelToken"]}
    )
    assert moved.status == 200
    written = events_in(app)
    # when the attendee then cancels
    token = {"X-Cancel-Token": moved.data["cancelToken"]}
    refused = attendee.post(f"/bookings/{made['uid']}/cancel", {"reason": "x"}, headers=token)
    # then the event type's budget refuses it, and nothing was written
    assert refused.status == 429 and refused.code == "rate_limited" and "event type" in refused.body["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert events_in(app) == written


def test_a_graphql_change_over_its_event_type_budget_is_refused_in_its_payload_and_writes_nothing(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given two booking changes per event type, one spent on the booking itself
    limits_on(settings, event_type_writes="2/hour")
    made = _booked(api)
    moved = graphql_from("127.0.0.1", made["cancelToken"])(RESCHEDULE, {"input": {"uid": made["uid"], "start": DAY[2]}})
    token = moved.data["bookingReschedule"]["cancelToken"]
    assert token, moved.body
    written = events_in(app)
    # when the attendee then cancels over GraphQL
    refused = graphql_from("127.0.0.1", token)(CANCEL, {"input": {"uid": made["uid"]}})
    # then the mutation answers a typed rate_limited error, and nothing was written
    assert refused.status == 200, refused.body
    payload = refused.data["bookingCancel"]
    assert payload["booking"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "rate_limited")]
    assert "event type" in payload["errors"][0]["message"]
    assert events_in(app) == written


def test_a_caller_the_booking_refuses_spends_nothing_of_its_event_types_budget(
    app: Slotwise, api: Api, settings: Any, store: str
) -> None:
    # given two booking changes per event type, one spent on the booking itself
    limits_on(settings, event_type_writes="2/hour")
    made = _booked(api)
    # when strangers with wrong tokens try to cancel it, from many addresses
    tries = [
        rest_from(f"198.51.100.{n}").post(f"/bookings/{made['uid']}/cancel", {}, headers={"X-Cancel-Token": "guess"})
        for n in range(3)
    ]
    # then each is told there is no such booking, and the attendee may still move it
    assert [t.status for t in tries] == [404, 404, 404]
    moved = rest_from("127.0.0.1").post(
        f"/bookings/{made['uid']}/reschedule", {"start": DAY[2]}, headers={"X-Cancel-Token": made["cancelToken"]}
    )
    assert moved.status == 200, moved.body
