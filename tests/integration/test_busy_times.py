"""Busy times of connected calendars come off the offered slots, and every answer says how
fresh they are: a real CalDAV server (Radicale), reached through a proxy that can fail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from providers.base import CalendarEvent
from providers.caldav import CalDavProvider
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.fault_proxy import FaultProxy

DAY = "2026-01-07"  # a Wednesday; the host works 09:00-17:00 Europe/Berlin (08:00-16:00 UTC)


@pytest.fixture
def proxy(radicale_server: Any) -> Iterator[FaultProxy]:
    with FaultProxy(radicale_server.url).running() as running:
        yield running


def _connect(api: Api, server: Any, proxy: FaultProxy, name: str) -> tuple[str, str]:
    """A host, an event type and a calendar reached through the proxy, holding one outside
    meeting 10:00-11:00 UTC that Slotwise did not book."""
    host = make_host(api)
    event_type = make_event_type(api, host)
    direct = CalDavProvider(server.calendar_url(name), server.username, server.password)
    direct.ensure_calendar()
    start = datetime(2026, 1, 7, 10, tzinfo=UTC)
    direct.upsert_event(
        CalendarEvent(str(uuid4()), start, start + timedelta(hours=1), "Europe/Berlin", "Dentist", "", "", "", "", 0)
    )
    url = server.calendar_url(name).replace(server.url.rstrip("/"), proxy.url)
    reply = api.post(
        f"/hosts/{host}/calendars",
        {"provider": "caldav", "url": url, "username": server.username, "password": server.password},
    )
    assert reply.status == 201, reply.body
    return event_type, reply.data["id"]


def _slots(api: Api, event_type: str) -> tuple[list[str], list[dict[str, Any]]]:
    reply = api.get(f"/slots?eventTypeId={event_type}&start={DAY}&end={DAY}&timeZone=UTC")
    assert reply.status == 200, reply.body
    return [s["start"] for s in reply.data.get(DAY, [])], reply.body["meta"]["providers"]


def test_an_outside_meeting_removes_the_slots_it_overlaps(api: Api, radicale_server: Any, proxy: FaultProxy) -> None:
    event_type, calendar = _connect(api, radicale_server, proxy, "busy-ok")
    starts, providers = _slots(api, event_type)
    # 30-minute slots from 08:00 UTC; 10:00 and 10:30 fall in the meeting, 09:30 ends as it starts
    assert "2026-01-07T09:30:00+00:00" in starts and "2026-01-07T11:00:00+00:00" in starts
    assert "2026-01-07T10:00:00+00:00" not in starts and "2026-01-07T10:30:00+00:00" not in starts
    assert len(starts) == 16 - 2
    assert [(p["calendarId"], p["provider"], p["status"]) for p in providers] == [(calendar, "caldav", "ok")]
    assert datetime.fromisoformat(providers[0]["asOf"]) > datetime.now(UTC) - timedelta(minutes=1)


def test_busy_times_are_read_once_per_freshness_window(api: Api, radicale_server: Any, proxy: FaultProxy) -> None:
    event_type, _ = _connect(api, radicale_server, proxy, "busy-cached")
    for _ in range(5):
        starts, providers = _slots(api, event_type)
        assert "2026-01-07T10:00:00+00:00" not in starts and providers[0]["status"] == "ok"
    answered = [seen for seen in proxy.requests("REPORT") if seen.status == 207 or seen.status == 200]
    assert len(answered) == 1  # one free-busy report (the client's unauthenticated first try aside)


def test_a_provider_that_never_answered_is_unavailable_and_hides_nothing(
    api: Api, radicale_server: Any, proxy: FaultProxy
) -> None:
    event_type, calendar = _connect(api, radicale_server, proxy, "busy-down")
    proxy.fail_until_cleared(503)
    starts, providers = _slots(api, event_type)
    # nothing is known of the calendar, and the answer says so rather than guessing
    assert providers == [{"calendarId": calendar, "provider": "caldav", "status": "unavailable", "asOf": None}]
    assert len(starts) == 16 and "2026-01-07T10:00:00+00:00" in starts


def test_a_provider_that_fails_later_is_served_stale_and_still_subtracted(
    api: Api, radicale_server: Any, proxy: FaultProxy, settings: Any
) -> None:
    event_type, _ = _connect(api, radicale_server, proxy, "busy-stale")
    _, first = _slots(api, event_type)
    settings.SLOTWISE_BUSY_FRESH_SECONDS = 0  # every entry is now old enough to refetch
    proxy.fail_until_cleared(503)
    starts, providers = _slots(api, event_type)
    assert providers[0]["status"] == "stale" and providers[0]["asOf"] == first[0]["asOf"]
    assert "2026-01-07T10:00:00+00:00" not in starts
    proxy.clear()
    _, providers = _slots(api, event_type)
    assert providers[0]["status"] == "ok" and providers[0]["asOf"] > first[0]["asOf"]


def test_a_host_without_calendars_reports_none(api: Api) -> None:
    event_type = make_event_type(api, make_host(api))
    starts, providers = _slots(api, event_type)
    assert providers == [] and len(starts) == 16
