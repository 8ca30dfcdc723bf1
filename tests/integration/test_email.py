"""Booking emails reach a real SMTP server: the attendee and the host each get one per event,
with the invitation (METHOD, UID, SEQUENCE, host-zone DTSTART) and times in their own zone;
SMTP failures are retried or given up by kind."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from icalendar import Calendar

from booking.application import Slotwise
from booking.public_events import event_id
from projections.sources import LogSource
from providers import letters, tasks
from providers.models import SideEffect
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.server import free_port
from tests.integration.side_effects_support import Recorder, broker_env, dispatcher, running, wait_until, worker
from tests.integration.smtp_server import Received, SmtpServer
from tests.support import Clock, count_reads

HOST, GUEST = "ada@example.com", "bo@example.com"


def deliver(app: Slotwise) -> list[str]:
    """Records the side effects of every new event and runs the pending emails, as a worker would."""
    Recorder(LogSource(app)).step()
    pending = SideEffect.objects.filter(handler="email.booking", state=SideEffect.PENDING).order_by("id")
    return [tasks.send_booking_email(effect.id) for effect in pending]


def calendar_of(received: Received) -> tuple[str, Any, bytes]:
    """The text/calendar alternative's method and VEVENT, and the invite.ics attachment's bytes."""
    message = received.message
    parts = list(message.walk())
    alternative = next(p for p in parts if p.get_content_type() == "text/calendar")
    attachment = next(p for p in parts if p.get_filename() == "invite.ics")
    calendar = Calendar.from_ical(alternative.get_content())
    assert attachment.get_content() == alternative.get_content().encode()  # the same invitation twice
    return str(alternative.get_param("method")), calendar.walk("VEVENT")[0], attachment.get_content()


def plain_text(received: Received) -> str:
    body = received.message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def before_dst(clock: Clock) -> Clock:
    clock.now = datetime(2026, 3, 20, 8, tzinfo=UTC)  # Berlin is on CET (+01:00) until 29 March
    return clock


def test_create_reschedule_cancel_email_both_parties_across_the_dst_change(
    app: Slotwise, api: Api, smtp: SmtpServer, before_dst: Clock
) -> None:
    # given a Berlin host, and a New York attendee booking 30 March 09:00 Berlin (CEST) before DST begins
    event_type = make_event_type(api, make_host(api, "Europe/Berlin"))
    made = api.post(
        "/bookings",
        {"eventTypeId": event_type, "start": "2026-03-30T09:00:00+02:00", "attendee": attendee("America/New_York")},
    )
    assert made.status == 201, made.body
    uid = made.data["uid"]
    assert deliver(app) == ["sent", "sent"]
    # when it is moved to the next day at 10:00, then cancelled
    api.post(f"/bookings/{uid}/reschedule", {"start": "2026-03-31T10:00:00+02:00"})
    assert deliver(app) == ["sent", "sent"]
    api.post(f"/bookings/{uid}/cancel", {"reason": "Something came up"})
    assert deliver(app) == ["sent", "sent"]
    # then each party got three emails: REQUEST, REQUEST, CANCEL with one UID and a rising SEQUENCE
    for address in (GUEST, HOST):
        got = [calendar_of(m) for m in smtp.to(address)]
        assert [method for method, _, _ in got] == ["REQUEST", "REQUEST", "CANCEL"]
        assert {str(vevent["UID"]) for _, vevent, _ in got} == {uid}
        assert [int(vevent["SEQUENCE"]) for _, vevent, _ in got] == [1, 2, 3]
        # the invitation is written in the host's zone, at the host's wall-clock time, after the DST change
        starts = [vevent["DTSTART"] for _, vevent, _ in got]
        assert {s.params["TZID"] for s in starts} == {"Europe/Berlin"}
        assert [s.dt.replace(tzinfo=None) for s in starts] == [
            datetime(2026, 3, 30, 9),
            datetime(2026, 3, 31, 10),
            datetime(2026, 3, 31, 10),
        ]
        assert starts[0].dt == datetime(2026, 3, 30, 7, tzinfo=UTC)
        assert b"DTSTART;TZID=Europe/Berlin:20260330T090000" in got[0][2]
        assert b"BEGIN:VTIMEZONE" in got[0][2]
        assert str(got[2][1]["STATUS"]) == "CANCELLED"
    # and the text speaks each recipient's zone: 09:00 CEST is 03:00 EDT
    guest_text, host_text = plain_text(smtp.to(GUEST)[0]), plain_text(smtp.to(HOST)[0])
    assert "Monday 30 March 2026, 03:00 to 03:30 (America/New_York)" in guest_text
    assert "Monday 30 March 2026, 09:00 to 09:30 (Europe/Berlin)" in host_text
    moved = plain_text(smtp.to(GUEST)[1])
    assert "Tuesday 31 March 2026, 04:00 to 04:30" in moved and "Was:    Monday 30 March 2026, 03:00" in moved
    assert "Reason: Something came up" in plain_text(smtp.to(HOST)[2])
    assert [m.message["Subject"] for m in smtp.to(GUEST)] == [
        "Confirmed: Intro with Ada, Mon 30 Mar 03:00",
        "Rescheduled: Intro with Ada, Tue 31 Mar 04:00",
        "Cancelled: Intro with Ada, Tue 31 Mar 04:00",
    ]


def test_each_email_has_a_stable_message_id_and_a_resend_is_recognisably_the_same(
    app: Slotwise, api: Api, smtp: SmtpServer, before_dst: Clock
) -> None:
    event_type = make_event_type(api, make_host(api))
    uid = api.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-03-23T10:00:00+01:00", "attendee": attendee()}
    ).data["uid"]
    deliver(app)
    created = event_id(UUID(uid), 1)
    assert sorted(m.message_id for m in smtp.messages()) == [
        f"<{created}.attendee@slotwise.localhost>",
        f"<{created}.host@slotwise.localhost>",
    ]
    # a worker that died after the server took the message, before the ledger said so, sends it again
    row = SideEffect.objects.get(key=f"{created}/email.booking/attendee")
    SideEffect.objects.filter(id=row.id).update(state=SideEffect.PENDING, done_at=None)
    assert tasks.send_booking_email(row.id) == "sent"
    assert tasks.send_booking_email(row.id) == "nothing to do"  # done now: a duplicate message does nothing
    to_guest = smtp.to(GUEST)
    assert len(to_guest) == 2 and to_guest[0].message_id == to_guest[1].message_id


def test_an_unreachable_server_is_retried_and_the_email_goes_out_later(
    app: Slotwise, api: Api, smtp: SmtpServer, before_dst: Clock, settings: Any
) -> None:
    event_type = make_event_type(api, make_host(api))
    api.post("/bookings", {"eventTypeId": event_type, "start": "2026-03-23T10:00:00+01:00", "attendee": attendee()})
    settings.EMAIL_PORT = free_port()  # nobody listens: connection refused
    assert deliver(app) == ["retry scheduled", "retry scheduled"]
    rows = list(SideEffect.objects.filter(handler="email.booking"))
    assert all(r.state == SideEffect.PENDING and r.attempts == 1 and r.not_before for r in rows)
    assert all("unreachable" in r.last_error for r in rows)
    assert deliver(app) == ["nothing to do", "nothing to do"]  # not due yet
    # when the server is back and the retry falls due
    settings.EMAIL_PORT = smtp.port
    SideEffect.objects.update(not_before=datetime.now(UTC) - timedelta(seconds=1))
    assert deliver(app) == ["sent", "sent"]
    assert len(smtp.messages()) == 2
    assert not SideEffect.objects.exclude(state=SideEffect.DONE).exists()


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_given_up(
    app: Slotwise, api: Api, smtp: SmtpServer, before_dst: Clock
) -> None:
    event_type = make_event_type(api, make_host(api))
    api.post("/bookings", {"eventTypeId": event_type, "start": "2026-03-23T10:00:00+01:00", "attendee": attendee()})
    smtp.refuse(GUEST, "451 4.2.1 Mailbox busy, try later")
    assert sorted(deliver(app)) == ["retry scheduled", "sent"]  # the host's email is its own row
    guest_row = SideEffect.objects.get(handler="email.booking", target="attendee")
    assert guest_row.state == SideEffect.PENDING and "451" in guest_row.last_error
    smtp.refuse(GUEST, "550 5.1.1 No such user")
    SideEffect.objects.filter(id=guest_row.id).update(not_before=datetime.now(UTC) - timedelta(seconds=1))
    assert deliver(app) == ["failed"]
    guest_row.refresh_from_db()
    assert guest_row.state == SideEffect.FAILED and "550" in guest_row.last_error and guest_row.attempts == 2
    assert [m.recipients for m in smtp.messages()] == [[HOST]]


def test_a_batch_reads_each_booking_host_and_event_type_once_and_one_refusal_stops_no_other(
    app: Slotwise, api: Api, smtp: SmtpServer, before_dst: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host)
    for start in ("2026-03-23T10:00:00+01:00", "2026-03-23T11:00:00+01:00"):
        api.post("/bookings", {"eventTypeId": event_type, "start": start, "attendee": attendee()})
    Recorder(LogSource(app)).step()
    rows = list(SideEffect.objects.filter(handler="email.booking").order_by("id"))
    reads = count_reads(app, monkeypatch)
    written: list[str] = []
    write = letters.event_calendar

    def counted(event: Any, method: str) -> bytes:
        written.append(event.uid)
        return write(event, method)

    monkeypatch.setattr(letters, "event_calendar", counted)
    smtp.refuse(GUEST, "550 5.1.1 No such user")

    outcomes = tasks.send_booking_emails([row.id for row in rows])

    assert sorted(outcomes) == ["failed", "failed", "sent", "sent"]
    assert [m.recipients for m in smtp.messages()] == [[HOST], [HOST]]
    bookings = {row.aggregate_id for row in rows}
    assert len(rows) == 4 and len(bookings) == 2
    # two emails per booking, one read of it; one read of the host and the event type for the batch
    assert reads == Counter({**dict.fromkeys(bookings, 1), UUID(host): 1, UUID(event_type): 1})
    assert sorted(written) == sorted(str(b) for b in bookings)  # one invitation per event, for both parties
    assert sorted(SideEffect.objects.values_list("state", flat=True)) == ["done", "done", "failed", "failed"]


def test_emails_flow_through_the_dispatcher_and_a_worker(api: Api, smtp: SmtpServer, before_dst: Clock) -> None:
    # given the dispatcher and a Celery worker as real processes, sending to the real SMTP server
    event_type = make_event_type(api, make_host(api))
    env = broker_env(**smtp.env())
    with running(worker(env, concurrency=2), dispatcher(env)):
        uid = api.post(
            "/bookings", {"eventTypeId": event_type, "start": "2026-03-23T10:00:00+01:00", "attendee": attendee()}
        ).data["uid"]
        smtp.wait_for(2, timeout=60)
        api.post(f"/bookings/{uid}/cancel", {"reason": ""})
        smtp.wait_for(4, timeout=60)
        wait_until(lambda: SideEffect.objects.filter(state=SideEffect.DONE).count() == 4, 30, "four emails done")
    methods = sorted(calendar_of(m)[0] for m in smtp.messages())
    assert methods == ["CANCEL", "CANCEL", "REQUEST", "REQUEST"]
    assert len({m.message_id for m in smtp.messages()}) == 4
