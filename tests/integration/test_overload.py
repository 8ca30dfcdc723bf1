"""Overload is bounded: a request that waited longer than SLOTWISE_QUEUE_TIMEOUT_MS for a thread
is answered 503 problem+json with Retry-After, without running (booking/web_worker.py), through a
real gunicorn flooded with many times what its threads can serve."""

from __future__ import annotations

import http.client
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic

from booking.application import Slotwise
from booking.domain.booking import Booking
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.server import all_at_once, gunicorn

BERLIN = ZoneInfo("Europe/Berlin")
BOUND_MS = 100
BOOKINGS = 60  # at once, against one worker of two threads
SLOT_LOOKUPS = 20  # 30 days of slots each, the same flood
PROBES = 10  # /healthz, sent into the thick of it
ONE_WORKER = {"SLOTWISE_QUEUE_TIMEOUT_MS": str(BOUND_MS)}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: Any
    seconds: float


def send(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """One request on its own connection, with the answer's headers (Retry-After, Connection)."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    started = time.monotonic()
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        parsed = json.loads(raw) if raw and "json" in answer_headers.get("content-type", "") else raw
        return Answer(response.status, answer_headers, parsed, time.monotonic() - started)
    finally:
        connection.close()


def _starts(count: int) -> list[str]:
    """`count` distinct offered half-hour starts on weekdays from next week (the server's real clock)."""
    starts: list[str] = []
    day = datetime.now(UTC).date() + timedelta(days=8)
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [_at(day, 9 + half // 2, 30 * (half % 2)) for half in range(16)]
        day += timedelta(days=1)
    return starts[:count]


def _at(day: date, hh: int, mm: int) -> str:
    return datetime.combine(day, clock_time(hh, mm), tzinfo=BERLIN).isoformat()


def _flood(base: str, event_type: str, starts: list[str]) -> tuple[list[Answer], list[Answer], list[Answer]]:
    """Every booking and slot lookup at once, and /healthz probes a little later, into the queue."""
    first = datetime.now(UTC).date() + timedelta(days=8)
    lookup = f"/api/v1/slots?eventTypeId={event_type}&start={first}&end={first + timedelta(days=29)}&timeZone=UTC"

    def book(i: int) -> Any:
        body = {"eventTypeId": event_type, "start": starts[i], "attendee": attendee()}
        return lambda: send(base, "POST", "/api/v1/bookings", body, {"Idempotency-Key": f"flood-{i}"})

    def probe() -> Answer:
        time.sleep(0.05)  # behind the first arrivals, not before them
        return send(base, "GET", "/healthz")

    calls = [book(i) for i in range(len(starts))]
    calls += [lambda: send(base, "GET", lookup)] * SLOT_LOOKUPS
    calls += [probe] * PROBES
    answers = all_at_once(calls)
    booked, looked, probed = answers[: len(starts)], answers[len(starts) : -PROBES], answers[-PROBES:]
    return booked, looked, probed


def _created(app: Slotwise) -> Counter[str]:
    """Booking.Created events in the store, by booking uid."""
    topic = get_topic(Booking.Created)
    found = app.recorder.select_notifications(start=None, limit=10_000, topics=[topic])
    return Counter(str(n.originator_id) for n in found)


def _shed_total(base: str) -> float:
    metrics = send(base, "GET", "/metrics")
    assert metrics.status == 200, metrics.body
    lines = metrics.body.decode().splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("slotwise_http_requests_shed_total"))


def test_a_flood_is_shed_with_503_and_retrying_books_exactly_once(app: Slotwise, api: Api) -> None:
    # given one worker of two threads that sheds what waited over 100 ms for a thread
    event_type = make_event_type(api, make_host(api))
    starts = _starts(BOOKINGS)
    with tempfile.TemporaryDirectory() as metrics_dir:
        env = {**ONE_WORKER, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
        with gunicorn(workers=1, threads=2, env=env) as base:
            # when 60 bookings and 20 month-long slot lookups arrive at once, and health probes behind them
            booked, looked, probed = _flood(base, event_type, starts)
            shed = [a for a in booked + looked if a.status == 503]
            # then some are shed, each with a problem+json and Retry-After, on a closed connection
            assert shed, f"nothing was shed: {Counter(a.status for a in booked + looked)}"
            for answer in shed:
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.headers["retry-after"] == "1"
                assert answer.headers["connection"] == "close"
                assert answer.body["type"] == "urn:slotwise:problem:overloaded"
                assert answer.body["status"] == 503 and answer.body["code"] == "overloaded"
                assert answer.body["title"] and f"at most {BOUND_MS} ms" in answer.body["detail"]
            # and every other answer is the normal one: no 500, nothing else
            assert {a.status for a in booked} <= {201, 503}
            assert {a.status for a in looked} <= {200, 503}
            assert all(a.body["data"] for a in looked if a.status == 200)
            # and liveness is never shed, however long it waited
            assert [a.status for a in probed] == [200] * PROBES
            # and the counter saw every shed request, exactly
            assert _shed_total(base) == len(shed)

            # and each 201 is a booking written exactly once; the shed ones wrote nothing
            made = {a.body["data"]["uid"] for a in booked if a.status == 201}
            assert _created(app) == Counter(made)

            # when each shed booking is sent again with its Idempotency-Key, twice, with nothing else going on
            shed_bookings = [i for i, a in enumerate(booked) if a.status == 503]
            for i in shed_bookings:
                body = {"eventTypeId": event_type, "start": starts[i], "attendee": attendee()}
                key = {"Idempotency-Key": f"flood-{i}"}
                retried = send(base, "POST", "/api/v1/bookings", body, key)
                replayed = send(base, "POST", "/api/v1/bookings", body, key)
                # then the first retry books it, and the second replays that very booking
                assert retried.status == 201, retried.body
                assert (replayed.status, replayed.body) == (retried.status, retried.body)
                made.add(retried.body["data"]["uid"])
    # and every slot is booked once, by one event each
    assert len(made) == BOOKINGS
    assert _created(app) == Counter(made)


def test_without_a_bound_nothing_is_shed(app: Slotwise, api: Api) -> None:
    # given the same server with the bound switched off
    event_type = make_event_type(api, make_host(api))
    starts = _starts(BOOKINGS)
    with gunicorn(workers=1, threads=2, env={"SLOTWISE_QUEUE_TIMEOUT_MS": "0"}) as base:
        # when the same flood arrives
        booked, looked, probed = _flood(base, event_type, starts)
    # then every request waits its turn and is served
    assert [a.status for a in booked] == [201] * BOOKINGS
    assert [a.status for a in looked] == [200] * SLOT_LOOKUPS
    assert [a.status for a in probed] == [200] * PROBES
    # and some of them waited for longer than the bound would have let them
    assert max(a.seconds for a in booked + looked) > BOUND_MS / 1000
    assert _created(app) == Counter(a.body["data"]["uid"] for a in booked)
