"""The CalDAV adapter against a real Radicale, and the iCalendar text it writes.

The server's own listing (read with caldav directly, not through the adapter) is the ground
truth for what is stored. Statuses Radicale never sends (429, 5xx) come from a stub HTTP server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from uuid import uuid4

import pytest
from caldav.calendarobjectresource import Event
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from icalendar import Calendar as ICalendar

from providers.base import AuthExpired, RateLimited, Rejected, Unavailable
from providers.caldav import CalDavProvider, retry_after_seconds
from providers.ical import event_calendar, event_object
from tests.integration.calendar_events import berlin, booking
from tests.integration.radicale_server import RadicaleServer
from tests.integration.server import free_port


@pytest.fixture
def provider(radicale_server: RadicaleServer) -> CalDavProvider:
    """A fresh calendar of its own on the session's Radicale."""
    url = radicale_server.calendar_url(f"c{uuid4().hex[:12]}")
    made = CalDavProvider(url, radicale_server.username, radicale_server.password)
    made.ensure_calendar()
    return made


def stored(provider: CalDavProvider) -> list[Any]:
    """Every VEVENT on the server, one per resource, as the server lists them."""
    client = DAVClient(url=provider.url, username=provider.username, password=provider.password)
    resources = cast(list[Event], Calendar(client, url=provider.url).get_events())
    return [next(iter(ICalendar.from_ical(r.data).walk("VEVENT"))) for r in resources]


# --- the iCalendar text -------------------------------------------------------------------------


@pytest.mark.parametrize("start", [berlin(2026, 3, 27, 9), berlin(2026, 3, 30, 9), berlin(2026, 10, 26, 9)])
def test_invitation_is_written_in_the_host_zone_and_resolves_to_the_booked_instant(start: datetime) -> None:
    event = booking(start)
    parsed = ICalendar.from_ical(event_calendar(event, "REQUEST"))
    vevent = next(iter(parsed.walk("VEVENT")))
    # 09:00 local, labelled with the host's zone, on both sides of the DST change
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == datetime(start.year, start.month, start.day, 9)
    # the VTIMEZONE sent along, read on its own (not the reader's tz database), gives the same instant
    (vtimezone,) = parsed.timezones
    assert vtimezone["TZID"] == "Europe/Berlin"
    described = vtimezone.to_tz()
    wall = vevent.decoded("DTSTART").replace(tzinfo=None)
    assert wall.replace(tzinfo=described).astimezone(UTC) == start
    assert vevent.decoded("DTEND").astimezone(UTC) == event.end


def test_invitation_carries_method_attendee_and_sequence() -> None:
    event = booking(berlin(2026, 5, 4, 14), sequence=7)
    parsed = ICalendar.from_ical(event_calendar(event, "REQUEST"))
    vevent = next(iter(parsed.walk("VEVENT")))
    assert parsed["METHOD"] == "REQUEST" and parsed["PRODID"] == "-//Slotwise//Slotwise//EN"
    assert (vevent["UID"], vevent["SEQUENCE"], vevent["STATUS"]) == (event.uid, 7, "CONFIRMED")
    assert vevent["ORGANIZER"] == "mailto:ada@example.com"
    attendee = vevent["ATTENDEE"]
    assert attendee == "mailto:bo@example.com"
    assert {k: attendee.params[k] for k in ("CN", "ROLE", "PARTSTAT", "RSVP")} == {
        "CN": "Bo Jensen",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }
    assert vevent.decoded("DTSTAMP").tzinfo is not None


def test_cancelled_booking_is_a_cancel_message_with_a_cancelled_event() -> None:
    event = booking(berlin(2026, 5, 4, 14), cancelled=True, sequence=3)
    parsed = ICalendar.from_ical(event_calendar(event, "CANCEL"))
    vevent = next(iter(parsed.walk("VEVENT")))
    assert (parsed["METHOD"], vevent["STATUS"], vevent["SEQUENCE"]) == ("CANCEL", "CANCELLED", 3)


def test_stored_object_has_no_method_and_tells_the_server_not_to_invite() -> None:
    parsed = ICalendar.from_ical(event_object(booking(berlin(2026, 5, 4, 14))))
    vevent = next(iter(parsed.walk("VEVENT")))
    assert "METHOD" not in parsed
    assert vevent["ATTENDEE"].params["SCHEDULE-AGENT"] == "CLIENT"  # Slotwise sends the email itself
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Berlin"]


# --- writing and deleting -----------------------------------------------------------------------


def test_sending_an_event_again_replaces_it_with_the_new_time_and_sequence(provider: CalDavProvider) -> None:
    first = booking(berlin(2026, 6, 1, 9), sequence=1)
    moved = replace(first, start=berlin(2026, 6, 2, 15), end=berlin(2026, 6, 2, 15, 30), sequence=2)
    provider.upsert_event(first)
    provider.upsert_event(moved)
    (only,) = stored(provider)
    assert only["UID"] == first.uid
    assert only.decoded("DTSTART").astimezone(UTC) == moved.start
    assert only["SEQUENCE"] == 2  # as sent: the adapter does not bump it on its own


def test_concurrent_sends_of_one_event_store_it_once(provider: CalDavProvider) -> None:
    event = booking(berlin(2026, 6, 3, 9))
    start_together = threading.Barrier(20)
    failures: list[BaseException] = []

    def send(sequence: int) -> None:
        start_together.wait()
        try:
            provider.upsert_event(replace(event, sequence=sequence))
        except Exception as e:
            failures.append(e)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert [e["UID"] for e in stored(provider)] == [event.uid]


def test_deleting_twice_is_harmless_and_leaves_nothing(provider: CalDavProvider) -> None:
    kept, dropped = booking(berlin(2026, 6, 4, 9)), booking(berlin(2026, 6, 4, 11))
    provider.upsert_event(kept)
    provider.upsert_event(dropped)
    provider.delete_event(dropped.uid)
    provider.delete_event(dropped.uid)
    provider.delete_event(str(uuid4()))  # never there at all
    assert [e["UID"] for e in stored(provider)] == [kept.uid]


def test_event_uids_lists_each_stored_event_in_the_range_once(provider: CalDavProvider) -> None:
    inside = [booking(berlin(2026, 7, 1, 9)), booking(berlin(2026, 7, 2, 9), cancelled=True)]
    outside = booking(berlin(2026, 9, 1, 9))
    for event in [*inside, outside, inside[0]]:
        provider.upsert_event(event)
    assert provider.event_uids(berlin(2026, 7, 1), berlin(2026, 8, 1)) == sorted(e.uid for e in inside)


# --- busy times ---------------------------------------------------------------------------------


def test_busy_times_are_the_live_events_in_utc(provider: CalDavProvider) -> None:
    live = booking(berlin(2026, 6, 8, 10), minutes=45)
    cancelled = booking(berlin(2026, 6, 8, 12), cancelled=True)
    deleted = booking(berlin(2026, 6, 8, 14))
    later = booking(berlin(2026, 6, 9, 10))
    for event in (later, live, cancelled, deleted):
        provider.upsert_event(event)
    provider.delete_event(deleted.uid)
    busy = provider.busy_times(berlin(2026, 6, 8), berlin(2026, 6, 10))
    assert [(b.start, b.end) for b in busy] == [
        (datetime(2026, 6, 8, 8, tzinfo=UTC), datetime(2026, 6, 8, 8, 45, tzinfo=UTC)),
        (datetime(2026, 6, 9, 8, tzinfo=UTC), datetime(2026, 6, 9, 8, 30, tzinfo=UTC)),
    ]
    assert all(b.start.utcoffset() == timedelta(0) for b in busy)


def test_busy_times_end_where_the_range_ends(provider: CalDavProvider) -> None:
    provider.upsert_event(booking(berlin(2026, 6, 10, 9)))
    assert provider.busy_times(berlin(2026, 6, 10, 9, 30), berlin(2026, 6, 11)) == []  # [start, end)
    assert provider.busy_times(berlin(2026, 6, 9), berlin(2026, 6, 10, 9)) == []


def test_meetings_around_dst_changes_keep_their_local_time(provider: CalDavProvider) -> None:
    # 09:00 in Berlin each day; clocks go forward on 2026-03-29 and back on 2026-10-25
    days = [(3, 28), (3, 29), (3, 30), (10, 24), (10, 25), (10, 26)]
    for month, day in days:
        provider.upsert_event(booking(berlin(2026, month, day, 9)))
    spring = provider.busy_times(datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    autumn = provider.busy_times(datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC))
    assert [b.start for b in spring] == [
        datetime(2026, 3, 28, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 7, tzinfo=UTC),
        datetime(2026, 3, 30, 7, tzinfo=UTC),
    ]
    assert [b.start for b in autumn] == [
        datetime(2026, 10, 24, 7, tzinfo=UTC),
        datetime(2026, 10, 25, 8, tzinfo=UTC),
        datetime(2026, 10, 26, 8, tzinfo=UTC),
    ]


# --- connecting a calendar, and failures --------------------------------------------------------


def test_ensure_calendar_makes_a_missing_calendar_once(radicale_server: RadicaleServer) -> None:
    url = radicale_server.calendar_url(f"new{uuid4().hex[:8]}")
    provider = CalDavProvider(url, radicale_server.username, radicale_server.password)
    with pytest.raises(Rejected) as missing:
        provider.verify()
    assert missing.value.status == 404
    provider.ensure_calendar()
    provider.ensure_calendar()
    provider.verify()
    provider.upsert_event(booking(berlin(2026, 6, 1, 9)))
    assert len(stored(provider)) == 1


def test_a_wrong_password_is_refused_as_expired_credentials(
    radicale_server: RadicaleServer, provider: CalDavProvider
) -> None:
    wrong = CalDavProvider(provider.url, radicale_server.username, "not-the-password")
    with pytest.raises(AuthExpired) as refused:
        wrong.verify()
    assert refused.value.status == 401
    with pytest.raises(AuthExpired):
        wrong.upsert_event(booking(berlin(2026, 6, 1, 9)))
    assert stored(provider) == []


def test_a_url_that_is_not_a_calendar_is_rejected(radicale_server: RadicaleServer) -> None:
    principal = CalDavProvider(f"{radicale_server.url}{radicale_server.username}/", "ada", radicale_server.password)
    with pytest.raises(Rejected, match="not a calendar"):
        principal.verify()


def test_a_server_that_is_not_running_is_unavailable() -> None:
    closed = CalDavProvider(f"http://127.0.0.1:{free_port()}/ada/work/", "ada", "pw", timeout=2)
    for call in (
        closed.verify,
        lambda: closed.upsert_event(booking(berlin(2026, 6, 1, 9))),
        lambda: closed.delete_event("x"),
        lambda: closed.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2)),
    ):
        with pytest.raises(Unavailable):
            call()


def test_a_server_that_does_not_answer_in_time_is_unavailable() -> None:
    with socketserver_that_never_answers() as url, pytest.raises(Unavailable, match="timed out"):
        CalDavProvider(url, "ada", "pw", timeout=0.3).verify()


@contextmanager
def socketserver_that_never_answers() -> Iterator[str]:
    import socket

    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(4)  # connections wait in the backlog, unanswered
        yield f"http://127.0.0.1:{listening.getsockname()[1]}/ada/work/"


DROP = 0  # a stub "status": close the connection without answering


class _Stub(BaseHTTPRequestHandler):
    """Answers requests with the server's scripted answers, in order, the last one repeating."""

    server: _StubServer

    def _answer(self) -> None:
        answers = self.server.answers
        status, headers, *rest = answers.pop(0) if len(answers) > 1 else answers[0]
        body = rest[0] if rest else b""
        self.server.requests.append(self.command)
        if status == DROP:
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_PROPFIND = do_REPORT = do_DELETE = _answer  # noqa: N815  # http.server dispatches on these names

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _StubServer(ThreadingHTTPServer):
    def __init__(self, answers: list[tuple[Any, ...]]) -> None:
        super().__init__(("127.0.0.1", 0), _Stub)
        self.answers = answers
        self.requests: list[str] = []


@contextmanager
def stub_server(*answers: tuple[Any, ...]) -> Iterator[_StubServer]:
    server = _StubServer(list(answers))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def stub_provider(server: _StubServer) -> CalDavProvider:
    return CalDavProvider(f"http://127.0.0.1:{server.server_address[1]}/ada/work/", "ada", "pw", timeout=2)


def test_a_connection_dropped_without_an_answer_is_tried_once_more() -> None:
    with stub_server((DROP, {}), (201, {})) as server:
        stub_provider(server).upsert_event(booking(berlin(2026, 6, 1, 9)))
    assert server.requests == ["PUT", "PUT"]


def test_an_answer_that_is_not_caldav_is_refused_not_raised_raw() -> None:
    """A server (or a proxy's error page) that answers with broken XML: a port error the caller
    can act on (a 422 when connecting, a failed sync), never the XML parser's own exception."""
    broken = (207, {"Content-Type": "application/xml; charset=utf-8"}, b'<?xml version="1.0"?><d:multistatus')
    with stub_server(broken) as server:
        with pytest.raises(Rejected, match="not CalDAV"):
            stub_provider(server).verify()
        with pytest.raises(Rejected, match="not CalDAV"):
            stub_provider(server).busy_times(berlin(2026, 6, 1, 0), berlin(2026, 6, 2, 0))


def test_a_connection_dropped_twice_is_unavailable() -> None:
    with stub_server((DROP, {})) as server, pytest.raises(Unavailable):
        stub_provider(server).delete_event("x")
    assert server.requests == ["DELETE", "DELETE"]


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"Retry-After": "120"}, RateLimited, 120.0),
        (429, {}, RateLimited, None),
        (503, {"Retry-After": "7"}, Unavailable, 7.0),
        (502, {}, Unavailable, None),
        (500, {}, Unavailable, None),
        (403, {}, AuthExpired, None),
        (412, {}, Rejected, None),
        (404, {}, Rejected, None),
    ],
)
def test_failures_are_sorted_into_the_port_errors(
    status: int, headers: dict[str, str], kind: type[Exception], retry_after: float | None
) -> None:
    with stub_server((status, headers)) as server, pytest.raises(kind) as failed:
        stub_provider(server).upsert_event(booking(berlin(2026, 6, 1, 9)))
    assert failed.value.status == status  # type: ignore[attr-defined]
    assert failed.value.retry_after == retry_after  # type: ignore[attr-defined]
    assert type(failed.value) is kind


def test_retry_after_as_an_http_date_is_seconds_from_now() -> None:
    in_five_minutes = format_datetime(datetime.now(UTC) + timedelta(minutes=5), usegmt=True)
    with stub_server((429, {"Retry-After": in_five_minutes})) as server, pytest.raises(RateLimited) as failed:
        stub_provider(server).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))
    assert failed.value.retry_after is not None and 270 < failed.value.retry_after <= 300
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 01 Jun 2026 12:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Mon, 01 Jun 2026 11:59:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
