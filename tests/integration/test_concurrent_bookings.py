"""Concurrent HTTP requests against a real gunicorn (2 workers) on the store under test."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.utils import get_topic

from booking.application import Slotwise
from booking.domain.booking import Booking
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.server import call, gunicorn

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def server(app: Slotwise) -> Iterator[str]:
    with gunicorn() as base:
        yield base


def _next_tuesday() -> date:
    day = datetime.now(UTC).date() + timedelta(days=8)  # the server runs on the real clock
    return day + timedelta(days=(1 - day.weekday()) % 7)


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), tzinfo=BERLIN).isoformat()


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _bookings_created(app: Slotwise) -> int:
    topic = get_topic(Booking.Created)
    return len(app.recorder.select_notifications(start=None, limit=10_000, topics=[topic]))


def test_fifty_requests_for_one_slot_make_exactly_one_booking(app: Slotwise, api: Api, server: str) -> None:
    event_type = make_event_type(api, make_host(api))
    body = {"eventTypeId": event_type, "start": _at(_next_tuesday(), 10), "attendee": attendee()}
    results = _all_at_once([lambda: call(server, "POST", "/bookings", body) for _ in range(50)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 49}
    assert {b["code"] for s, b in results if s == 409} == {"slot_unavailable"}
    assert _bookings_created(app) == 1


def test_overlapping_lengths_and_buffers_race_to_one_winner(app: Slotwise, api: Api, server: str) -> None:
    # every request below overlaps every other one, directly or through a buffer
    host = make_host(api)
    hour = make_event_type(api, host, slug="hour", lengthInMinutes=60, slotIntervalMinutes=15)
    buffered = make_event_type(api, host, slug="buffered", lengthInMinutes=30, bufferBeforeMinutes=30)
    day = _next_tuesday()
    wanted = [
        (hour, _at(day, 9)),
        (hour, _at(day, 9, 15)),
        (hour, _at(day, 9, 30)),
        (hour, _at(day, 9, 45)),
        (buffered, _at(day, 10)),
    ]
    bodies = [{"eventTypeId": et, "start": start, "attendee": attendee()} for et, start in wanted for _ in range(10)]
    results = _all_at_once([lambda b=b: call(server, "POST", "/bookings", b) for b in bodies])
    assert Counter(status for status, _ in results) == {201: 1, 409: 49}
    assert _bookings_created(app) == 1


def test_twenty_identical_requests_with_one_key_make_one_booking(app: Slotwise, api: Api, server: str) -> None:
    event_type = make_event_type(api, make_host(api))
    body = {"eventTypeId": event_type, "start": _at(_next_tuesday(), 11), "attendee": attendee()}
    key = {"Idempotency-Key": "double-click-7"}
    results = _all_at_once([lambda: call(server, "POST", "/bookings", body, key) for _ in range(20)])
    assert {status for status, _ in results} == {201}
    assert all(reply == results[0][1] for _, reply in results)  # identical bodies, position included
    assert _bookings_created(app) == 1
