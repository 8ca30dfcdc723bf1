"""Bookings reach connected calendars through the dispatcher and Celery workers: real
processes, the real Redis broker, a real CalDAV server (Radicale)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from booking.application import Slotwise
from providers.caldav import CalDavProvider
from providers.models import SideEffect
from tests.integration.conftest import Api, attendee
from tests.integration.side_effects_support import broker_env, dispatcher, kill9, running, wait_until, worker

ALWAYS = [{"start": "00:00", "end": "24:00"}]
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _host_with_calendar(api: Api, server: Any, name: str) -> tuple[str, str, str]:
    """A host open around the clock, an event type, and a calendar on the CalDAV server."""
    host = api.post("/hosts", {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Berlin"}).data["id"]
    api.put(f"/hosts/{host}/schedule", {"weekly": dict.fromkeys(WEEK, ALWAYS), "overrides": []})
    event_type = api.post(
        "/event-types",
        {"hostId": host, "slug": "sync", "title": "Sync", "lengthInMinutes": 15, "bookingWindowDays": 730},
    ).data["id"]
    url = server.calendar_url(name)
    CalDavProvider(url, server.username, server.password).ensure_calendar()
    connected = api.post(
        f"/hosts/{host}/calendars",
        {"provider": "caldav", "url": url, "username": server.username, "password": server.password},
    )
    assert connected.status == 201, connected.body
    return host, event_type, url


def _book(app: Slotwise, event_type: str, count: int) -> list[str]:
    first = datetime(2026, 2, 2, tzinfo=UTC)
    person = {**attendee(), "email": "guest@example.com"}
    return [
        str(app.book_slot(UUID(event_type), first + timedelta(minutes=15 * n), person).subject.id) for n in range(count)
    ]


def _uids_on(server: Any, url: str) -> list[str]:
    provider = CalDavProvider(url, server.username, server.password)
    far = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    return sorted(provider.event_uids(*far))


SYNCS = SideEffect.objects.filter(handler="calendar.sync")  # other handlers (email, webhooks) run beside


def _done() -> int:
    return SYNCS.filter(state=SideEffect.DONE).count()


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(app: Slotwise, api: Api, radicale_server: Any) -> None:
    _, event_type, url = _host_with_calendar(api, radicale_server, "drill")
    uids = _book(app, event_type, 200)
    env = broker_env(SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS="15")
    first_worker, feeder = worker(env), dispatcher(env)
    with running(feeder):
        wait_until(lambda: _done() >= 20, 60, "the first syncs")
        kill9(first_worker)  # mid-batch: tasks taken and not acknowledged come back
        done_at_kill = _done()
        assert done_at_kill < 200, "the batch finished before the kill; the drill proved nothing"
        second_worker = worker(env)
        with running(second_worker):
            wait_until(lambda: _done() == 200, 120, "every sync after the restart")
    assert SYNCS.count() == 200 and not SYNCS.exclude(state=SideEffect.DONE).exists()
    assert _uids_on(radicale_server, url) == sorted(uids)  # each booking exactly once


def test_reschedules_and_cancellations_follow_the_booking(
    app: Slotwise, api: Api, radicale_server: Any, clock: Any
) -> None:
    _, event_type, url = _host_with_calendar(api, radicale_server, "follow")
    kept, moved, cancelled = _book(app, event_type, 3)
    app.reschedule_booking(UUID(moved), datetime(2026, 2, 3, 9, tzinfo=UTC))
    app.cancel_booking(UUID(cancelled), "no longer needed")
    env = broker_env()
    with running(worker(env, concurrency=2), dispatcher(env)):
        wait_until(lambda: _done() == 5 and SYNCS.count() == 5, 60, "five syncs")
    assert _uids_on(radicale_server, url) == sorted([kept, moved])
    provider = CalDavProvider(url, radicale_server.username, radicale_server.password)
    busy = provider.busy_times(datetime(2026, 2, 3, tzinfo=UTC), datetime(2026, 2, 4, tzinfo=UTC))
    assert [(b.start, b.end) for b in busy] == [
        (datetime(2026, 2, 3, 9, tzinfo=UTC), datetime(2026, 2, 3, 9, 15, tzinfo=UTC))
    ]
