"""A broken calendar never takes /slots down: whatever one connected calendar answers (junk
included) or however it fails, it shows as unavailable in meta.providers and the host's other
calendars still count. Real servers on loopback: one answering junk, and Radicale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from providers.base import CalendarEvent
from providers.caldav import CalDavProvider
from providers.models import CalendarAccount
from providers.secrets import seal
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.hostile_servers import Scripted, scripted_server

DAY = "2026-01-07"  # a Wednesday; the host works 09:00-17:00 Europe/Berlin (08:00-16:00 UTC)


def _free_busy(period: bytes) -> bytes:
    return (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//junk//EN\r\nBEGIN:VFREEBUSY\r\n"
        b"DTSTART:20260107T000000Z\r\nDTEND:20260108T000000Z\r\nFREEBUSY:" + period + b"\r\n"
        b"END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )


JUNK = [
    ("an HTML page with 200", Scripted(200, {"Content-Type": "text/html"}, b"<html><body>Welcome</body></html>")),
    ("truncated XML", Scripted(207, {"Content-Type": "application/xml"}, b'<?xml version="1.0"?><d:multistatus')),
    ("garbage periods", Scripted(200, {"Content-Type": "text/calendar"}, _free_busy(b"garbage/nonsense"))),
    ("a half-garbage period", Scripted(200, {"Content-Type": "text/calendar"}, _free_busy(b"20260107T100000Z/zz"))),
    ("binary with 200", Scripted(200, {"Content-Type": "application/octet-stream"}, bytes(range(256)) * 8)),
    ("an empty 200", Scripted(200, {"Content-Type": "text/calendar"}, b"")),
    ("an authentication we do not offer", Scripted(401, {"WWW-Authenticate": "Negotiate"}, b"")),
]


def _good_calendar(api: Api, server: Any, host: str) -> str:
    """A Radicale calendar holding one outside meeting, 10:00-11:00 UTC, connected through the API."""
    url = server.calendar_url(f"good-{uuid4().hex[:8]}")
    direct = CalDavProvider(url, server.username, server.password)
    direct.ensure_calendar()
    start = datetime(2026, 1, 7, 10, tzinfo=UTC)
    direct.upsert_event(
        CalendarEvent(str(uuid4()), start, start + timedelta(hours=1), "Europe/Berlin", "Dentist", "", "", "", "", 0)
    )
    body = {"provider": "caldav", "url": url, "username": server.username, "password": server.password}
    reply = api.post(f"/hosts/{host}/calendars", body)
    assert reply.status == 201, reply.body
    return str(reply.data["id"])


def _broken_calendar(host: str, url: str, secret: str | None = None) -> str:
    """An account the way connecting keeps it (the server may have answered well then)."""
    account = CalendarAccount.objects.create(
        organisation_id=UUID(int=0),
        host_id=host,
        provider="caldav",
        url=url,
        username="ada",
        secret=secret if secret is not None else seal({"password": "pw"}),
    )
    return str(account.id)


def _slots(public: Api, event_type: str) -> tuple[list[str], dict[str, str]]:
    reply = public.get(f"/slots?eventTypeId={event_type}&start={DAY}&end={DAY}&timeZone=UTC")
    assert reply.status == 200, reply.body
    return [s["start"] for s in reply.data.get(DAY, [])], {
        p["calendarId"]: p["status"] for p in reply.body["meta"]["providers"]
    }


@pytest.mark.parametrize(("kind", "answer"), JUNK, ids=[kind for kind, _ in JUNK])
def test_a_calendar_answering_junk_is_unavailable_and_the_others_still_count(
    api: Api, public: Api, radicale_server: Any, kind: str, answer: Scripted
) -> None:
    # given a host with a good calendar and one whose server answers junk to the free-busy report
    host = make_host(api)
    event_type = make_event_type(api, host)
    good = _good_calendar(api, radicale_server, host)
    with scripted_server(answer) as base:
        broken = _broken_calendar(host, f"{base}ada/work/")
        # when an invitee asks for slots
        starts, statuses = _slots(public, event_type)
    # then the broken calendar is unavailable, and the good one's meeting still removes its slots
    assert answer.seen, "the junk server was never asked"
    assert statuses == {good: "ok", broken: "unavailable"}, kind
    assert "2026-01-07T10:00:00+00:00" not in starts and "2026-01-07T10:30:00+00:00" not in starts
    assert len(starts) == 16 - 2


def test_a_calendar_whose_credentials_cannot_be_read_is_unavailable(
    api: Api, public: Api, radicale_server: Any
) -> None:
    # given a calendar whose stored secret no key opens (a dropped credentials key, say)
    host = make_host(api)
    event_type = make_event_type(api, host)
    good = _good_calendar(api, radicale_server, host)
    broken = _broken_calendar(host, radicale_server.calendar_url("unreadable"), secret="not-a-fernet-token")
    # when an invitee asks for slots, then only that calendar is unavailable
    starts, statuses = _slots(public, event_type)
    assert statuses == {good: "ok", broken: "unavailable"}
    assert len(starts) == 16 - 2
