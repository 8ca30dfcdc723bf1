"""Concurrent HTTP requests against a real gunicorn (2 workers) on the store under test, from
clients that send a shed request (`503 overloaded`) again, as clients should: what is asserted
is how the requests that ran were answered."""

from __future__ import annotations

import fcntl
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connections
from eventsourcing.utils import get_topic

from booking.application import LOCK_WAIT_SECONDS, Slotwise
from booking.bootstrap import FileLocks, advisory_key, writer_locks
from booking.domain.booking import Booking
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.server import all_at_once, call_like_a_client, gunicorn

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


def _bookings_created(app: Slotwise) -> int:
    topic = get_topic(Booking.Created)
    return len(app.recorder.select_notifications(start=None, limit=10_000, topics=[topic]))


def _in_turns(clients: int, jobs: list[Callable[[], Any]]) -> list[Any]:
    """`clients` callers at once, each making every `clients`-th call of `jobs` in turn."""
    per_client = [jobs[i::clients] for i in range(clients)]
    answers = all_at_once([lambda mine=mine: [job() for job in mine] for mine in per_client])
    return [answer for mine in answers for answer in mine]


def test_fifty_requests_for_one_slot_make_exactly_one_booking(app: Slotwise, api: Api, server: str) -> None:
    event_type = make_event_type(api, make_host(api))
    body = {"eventTypeId": event_type, "start": _at(_next_tuesday(), 10), "attendee": attendee()}
    results = all_at_once([lambda: call_like_a_client(server, "POST", "/bookings", body) for _ in range(50)])
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
    results = all_at_once([lambda b=b: call_like_a_client(server, "POST", "/bookings", b) for b in bodies])
    assert Counter(status for status, _ in results) == {201: 1, 409: 49}
    assert _bookings_created(app) == 1


def test_twenty_identical_requests_with_one_key_make_one_booking(app: Slotwise, api: Api, server: str) -> None:
    event_type = make_event_type(api, make_host(api))
    body = {"eventTypeId": event_type, "start": _at(_next_tuesday(), 11), "attendee": attendee()}
    key = {"Idempotency-Key": "double-click-7"}
    results = all_at_once([lambda: call_like_a_client(server, "POST", "/bookings", body, key) for _ in range(20)])
    assert {status for status, _ in results} == {201}
    assert all(reply == results[0][1] for _, reply in results)  # identical bodies, position included
    assert _bookings_created(app) == 1


def test_sixteen_clients_booking_distinct_free_slots_of_one_host_all_succeed(
    app: Slotwise, api: Api, server: str
) -> None:
    # 400 five-minute slots of one host: a whole Tuesday (288) and the first 112 of Wednesday, so
    # every booking writes one of two calendar days; writers of a host take turns, none is refused
    host = make_host(api, hours=[("00:00", "24:00")])
    event_type = make_event_type(api, host, slug="short", lengthInMinutes=5)
    first = datetime.combine(_next_tuesday(), time(0), tzinfo=BERLIN)
    starts = [(first + timedelta(minutes=5 * n)).isoformat() for n in range(400)]
    bodies = [{"eventTypeId": event_type, "start": start, "attendee": attendee()} for start in starts]
    results = _in_turns(16, [lambda b=b: call_like_a_client(server, "POST", "/bookings", b) for b in bodies])
    assert Counter(status for status, _ in results) == {201: 400}, Counter(
        reply.get("code") for status, reply in results if status != 201
    )
    assert _bookings_created(app) == 400
    stored = sorted((b.start, b.end) for b in (app.booking(UUID(r["data"]["uid"])) for _, r in results))
    assert [start for start, _ in stored] == sorted(datetime.fromisoformat(s) for s in starts)  # 400 distinct
    assert all(end <= following for (_, end), (following, _) in pairwise(stored))  # none overlaps the next


@pytest.mark.parametrize("clients", [8, 32])
def test_two_hundred_hosts_created_at_once_in_one_organisation_all_succeed(
    app: Slotwise, api_key: str, server: str, clients: int
) -> None:
    # an import: every new host is written into the organisation, by clients that never pause
    key = {"Authorization": f"Bearer {api_key}"}
    bodies = [{"name": f"Host {n}", "email": f"host{n}@example.com", "timeZone": "UTC"} for n in range(200)]
    results = _in_turns(clients, [lambda b=b: call_like_a_client(server, "POST", "/hosts", b, key) for b in bodies])
    assert Counter(status for status, _ in results) == {201: 200}, [r for s, r in results if s != 201][:3]
    status, listed = call_like_a_client(server, "GET", "/hosts", headers=key)
    assert status == 200
    assert sorted(h["id"] for h in listed["data"]) == sorted(r["data"]["id"] for _, r in results)


@contextmanager
def _host_lock_held(host: UUID) -> Iterator[None]:
    """A writer elsewhere that took the host's lock and keeps it: the advisory lock on
    PostgreSQL, the lock file on the embedded store (every server process waits on either)."""
    locks = writer_locks()
    if isinstance(locks, FileLocks):
        with locks.file_of(host).open("a") as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
            yield
        return
    db = connections["default"].settings_dict
    with psycopg.connect(
        dbname=db["NAME"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], autocommit=True
    ) as session:
        session.execute("SELECT pg_advisory_lock(%s, %s)", advisory_key(host))  # until the session ends
        yield


def test_a_writer_holding_the_host_lock_too_long_makes_the_next_answer_409_not_500(
    app: Slotwise, api: Api, server: str
) -> None:
    host = make_host(api)
    body = {"eventTypeId": make_event_type(api, host), "start": _at(_next_tuesday(), 10), "attendee": attendee()}
    with _host_lock_held(UUID(host)):
        began = clock.monotonic()
        status, reply = call_like_a_client(server, "POST", "/bookings", body)
        waited = clock.monotonic() - began
    assert (status, reply["code"]) == (409, "concurrent_update")
    assert LOCK_WAIT_SECONDS - 0.1 < waited < LOCK_WAIT_SECONDS + 3
    status, _ = call_like_a_client(server, "POST", "/bookings", body)  # once it lets go, the same booking is made
    assert status == 201
    assert _bookings_created(app) == 1
