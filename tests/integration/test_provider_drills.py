"""Chaos drills against a calendar provider in trouble: real dispatcher and Celery worker
processes on the real Redis, a real CalDAV server (Radicale) behind a proxy that answers 429
or 5xx on demand."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from booking.application import Slotwise
from providers.caldav import CalDavProvider
from providers.models import SideEffect
from tests.integration.conftest import Api, attendee
from tests.integration.fault_proxy import FaultProxy, Seen
from tests.integration.side_effects_support import (
    broker_env,
    dispatcher,
    ledger_state,
    processes_state,
    running,
    share_redis,
    wait_until,
    worker,
)

ALWAYS = [{"start": "00:00", "end": "24:00"}]
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BASE, CAP = 0.25, 2.0  # the calendar retry policy for these drills
SLACK = 1.5  # the dispatcher's poll, the broker and the worker between "due" and the next request


@pytest.fixture
def proxy(radicale_server: Any) -> Iterator[FaultProxy]:
    with FaultProxy(radicale_server.url).running() as running_proxy:
        yield running_proxy


def _open_host(api: Api) -> tuple[str, str]:
    """A host open around the clock and a 15-minute event type."""
    host = api.post("/hosts", {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Berlin"}).data["id"]
    api.put(f"/hosts/{host}/schedule", {"weekly": dict.fromkeys(WEEK, ALWAYS), "overrides": []})
    event_type = api.post(
        "/event-types",
        {"hostId": host, "slug": "drill", "title": "Drill", "lengthInMinutes": 15, "bookingWindowDays": 730},
    ).data["id"]
    return host, event_type


def _calendar_behind(api: Api, server: Any, proxy: FaultProxy, name: str) -> tuple[str, str, str]:
    host, event_type = _open_host(api)
    CalDavProvider(server.calendar_url(name), server.username, server.password).ensure_calendar()
    url = server.calendar_url(name).replace(server.url.rstrip("/"), proxy.url)
    reply = api.post(
        f"/hosts/{host}/calendars",
        {"provider": "caldav", "url": url, "username": server.username, "password": server.password},
    )
    assert reply.status == 201, reply.body
    return host, event_type, reply.data["id"]


def _book(app: Slotwise, event_type: str, count: int) -> list[str]:
    first = datetime(2026, 2, 2, tzinfo=UTC)
    return [
        str(app.book_slot(UUID(event_type), first + timedelta(minutes=15 * n), attendee()).subject.id)
        for n in range(count)
    ]


def _on_calendar(server: Any, name: str) -> list[str]:
    provider = CalDavProvider(server.calendar_url(name), server.username, server.password)
    return sorted(provider.event_uids(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)))


def _attempts(proxy: FaultProxy, uid: str) -> list[Seen]:
    """Each try at writing one booking (the client's unauthenticated first request aside)."""
    return [seen for seen in proxy.requests("PUT", f"{uid}.ics") if seen.status != 401]


SYNCS = SideEffect.objects.filter(handler="calendar.sync")  # other handlers (email, webhooks) run beside


def _all_done() -> bool:
    return not SYNCS.exclude(state=SideEffect.DONE).exists()


def _sync_all(env: dict[str, str], count: int) -> None:
    """A worker and the dispatcher, until `count` syncs are recorded and all of them done."""
    procs = worker(env), dispatcher(env)
    with running(*procs):
        wait_until(
            lambda: SYNCS.count() == count and _all_done(),
            120,
            "every sync",
            lambda: f"{processes_state(*procs)}\n{ledger_state()}",
        )


@pytest.mark.parametrize("retry_after", ["1", None], ids=["with-retry-after", "without-retry-after"])
def test_429s_are_retried_by_the_policy_and_leave_one_event_per_booking(
    app: Slotwise, api: Api, radicale_server: Any, proxy: FaultProxy, retry_after: str | None
) -> None:
    name = f"drill-429-{retry_after or 'none'}"
    _, event_type, _ = _calendar_behind(api, radicale_server, proxy, name)
    uids = _book(app, event_type, 12)
    proxy.fail_next(30, 429, retry_after)  # the first 30 requests, whichever booking they carry
    env = broker_env(
        SLOTWISE_CALENDAR_RETRY_BASE_SECONDS=str(BASE),
        SLOTWISE_CALENDAR_RETRY_CAP_SECONDS=str(CAP),
        SLOTWISE_CALDAV_CALLS_PER_MINUTE="100000",  # this drill is about the provider's limit, not ours
    )
    _sync_all(env, 12)
    assert _on_calendar(radicale_server, name) == sorted(uids)  # one event per booking
    throttled = [seen for seen in proxy.requests() if seen.status == 429]
    assert len(throttled) == 30
    retried = 0
    for uid in uids:
        tries = _attempts(proxy, uid)
        assert tries[-1].status in (201, 204) and all(t.status == 429 for t in tries[:-1]), tries
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
        retried += len(gaps)
        for attempt, gap in enumerate(gaps, start=1):
            if retry_after:
                assert gap >= float(retry_after), (uid, gaps)  # never sooner than the provider asked
            assert gap <= max(min(CAP, BASE * 2**attempt), float(retry_after or 0)) + SLACK, (uid, attempt, gaps)
    assert retried >= 12  # the drill did make bookings wait


def test_sustained_5xx_opens_the_breaker_and_a_probe_closes_it_after_recovery(
    app: Slotwise, api: Api, radicale_server: Any, proxy: FaultProxy, settings: Any
) -> None:
    host, event_type, calendar = _calendar_behind(api, radicale_server, proxy, "drill-5xx")
    env = broker_env(
        SLOTWISE_CALENDAR_RETRY_BASE_SECONDS="0.1",
        SLOTWISE_CALENDAR_RETRY_CAP_SECONDS="0.5",
        SLOTWISE_BREAKER_FAIL_MAX="4",
        SLOTWISE_BREAKER_RESET_SECONDS="8",
        SLOTWISE_CALDAV_CALLS_PER_MINUTE="100000",
    )
    share_redis(settings, env)

    def circuit() -> str:
        found = api.get(f"/hosts/{host}/calendars").data
        return str(next(c for c in found if c["id"] == calendar)["health"]["circuit"])

    proxy.fail_until_cleared(503)
    uids = _book(app, event_type, 10)
    with running(worker(env), dispatcher(env)):
        wait_until(lambda: circuit() == "open", 60, "the breaker to open")
        opened = time.monotonic()
        time.sleep(3.0)  # well inside the 8 s reset timeout
        # calls already on the wire when it opened may land just after; none may start later
        late = [seen for seen in proxy.requests() if seen.at > opened + 0.5]
        assert late == [], "calls went on while the breaker was open"
        assert not SYNCS.filter(state=SideEffect.FAILED).exists()  # paused, not given up
        proxy.clear()  # the provider recovers
        wait_until(lambda: _all_done() and SYNCS.count() == 10, 60, "every sync after recovery", ledger_state)
        assert circuit() == "closed"
    first_after = min(seen.at for seen in proxy.requests() if seen.at > opened + 0.5)
    assert first_after - opened >= 3.0  # the first call after opening was the probe, after the pause
    assert _on_calendar(radicale_server, "drill-5xx") == sorted(uids)
    failed_calls = [seen for seen in proxy.requests() if seen.status == 503]
    assert 4 <= len(failed_calls) <= 4 + 4  # the threshold, plus at most one in flight per worker process


def test_google_rate_limit_answers_are_retried_across_workers_and_leave_one_event_per_booking(
    app: Slotwise, api: Api, public: Api, google_server: Any, settings: Any
) -> None:
    from tests.integration.oauth_browser import callback, consent

    settings.SLOTWISE_OAUTH = {**settings.SLOTWISE_OAUTH, "google": google_server.oauth_settings()}
    settings.SLOTWISE_PUBLIC_URL = "https://slotwise.example"
    host, event_type = _open_host(api)
    assert callback(public, consent(api, public, host, "google")).status == 201
    uids = _book(app, event_type, 12)
    google_server.expire_all_tokens()  # the workers refresh first, each in its own process
    google_server.fail_next(20, 403, reason="rateLimitExceeded")  # Google's documented rate-limit answer
    env = broker_env(
        **google_server.env(),
        SLOTWISE_PUBLIC_URL="https://slotwise.example",
        SLOTWISE_CALENDAR_RETRY_BASE_SECONDS=str(BASE),
        SLOTWISE_CALENDAR_RETRY_CAP_SECONDS=str(CAP),
        SLOTWISE_GOOGLE_CALLS_PER_MINUTE="100000",
    )
    _sync_all(env, 12)
    events = google_server.events()
    assert sorted(e["iCalUID"] for e in events) == sorted(uids) and {e["status"] for e in events} == {"confirmed"}
    assert len([seen for seen in google_server.requests() if seen.status == 403]) == 20
