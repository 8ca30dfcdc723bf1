"""The cap on emails per attendee address: over it an email is not sent, its ledger row is
suppressed with a note saying why, and /metrics counts it; the host's emails are not capped. On the real
Redis and on the database store, with a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from booking.application import Slotwise
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from providers import reminders, tasks
from providers.models import SideEffect
from tests.integration import limits_support
from tests.integration.conftest import WEEKDAYS, Api, make_event_type, make_host
from tests.integration.limits_support import DAY, booking
from tests.integration.server import free_port
from tests.integration.smtp_server import SmtpServer
from tests.integration.test_email import deliver
from tests.support import Clock

store = limits_support.store
HOST, GUEST = "ada@example.com", "bo@example.com"


def _attendee_rows() -> list[SideEffect]:
    return list(SideEffect.objects.filter(handler="email.booking", target="attendee").order_by("id"))


def test_the_11th_email_to_one_address_within_an_hour_is_suppressed_and_the_ledger_says_why(
    app: Slotwise, api: Api, smtp: SmtpServer, settings: Any, store: str
) -> None:
    # given the default cap of 10 emails an hour per attendee address
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 10
    event_type = make_event_type(api, make_host(api))
    # when one address books 11 times (the last in other letter case), and the emails go out
    for n in range(11):
        email = GUEST.upper() if n == 10 else GUEST
        assert api.post("/bookings", booking(event_type, DAY[n], email)).status == 201
    outcomes = deliver(app)
    # then the attendee got 10 confirmations and the host all 11
    assert len(smtp.to(GUEST)) == 10 and len(smtp.to(HOST)) == 11
    assert sorted(outcomes) == ["sent"] * 21 + ["suppressed"]
    # and the 11th attendee email's ledger row is suppressed, saying why it was not sent; nothing is left to retry
    last = _attendee_rows()[-1]
    assert last.state == SideEffect.SUPPRESSED and last.attempts == 0 and last.not_before is None
    assert "cap of 10 emails an hour" in last.last_error
    assert [row.last_error for row in _attendee_rows()[:-1]] == [""] * 10
    assert tasks.send_booking_email(last.id) == "nothing to do"
    # and /metrics counts it
    metrics = Client().get("/metrics").content.decode()
    assert 'slotwise_side_effects{handler="email.booking",state="suppressed"} 1.0' in metrics


def test_an_email_retried_after_a_mail_server_failure_spends_its_address_budget_once(
    app: Slotwise, api: Api, smtp: SmtpServer, settings: Any, store: str
) -> None:
    # given a cap of two emails an hour, and a mail server refusing the attendee for now
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 2
    event_type = make_event_type(api, make_host(api))
    assert api.post("/bookings", booking(event_type, DAY[0])).status == 201
    smtp.refuse(GUEST, "451 4.3.0 Try again later")
    assert sorted(deliver(app)) == ["retry scheduled", "sent"]
    # when its retries fall due three times while the server still refuses, then once it takes it
    row = _attendee_rows()[0]
    outcomes = []
    for attempt in range(4):
        if attempt == 3:
            smtp.accept(GUEST)
        SideEffect.objects.filter(id=row.id).update(not_before=None)
        outcomes.append(tasks.send_booking_email(row.id))
    # then it was sent once, and the address still has one email of its budget left
    assert outcomes == ["retry scheduled"] * 3 + ["sent"] and len(smtp.to(GUEST)) == 1
    assert api.post("/bookings", booking(event_type, DAY[1])).status == 201
    assert sorted(deliver(app)) == ["sent", "sent"]


def test_a_reminder_to_an_address_over_its_cap_is_suppressed(
    app: Slotwise, api: Api, smtp: SmtpServer, settings: Any, store: str, clock: Clock
) -> None:
    # given a cap of one email an hour, and a booking whose confirmation has gone out
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 1
    clock.now = datetime.now(UTC).replace(second=0, microsecond=0)
    host = make_host(api, hours=[("00:00", "24:00")], days=WEEKDAYS)
    event_type = make_event_type(api, host, bookingWindowDays=30, reminders=[60])
    start = (clock.now + timedelta(days=2)).replace(minute=0)
    assert api.post("/bookings", booking(event_type, start.isoformat())).status == 201
    assert sorted(deliver(app)) == ["sent", "sent"]
    # when its reminder falls due within the hour
    Projector(VIEWS["reminders"], LogSource(app)).catch_up()
    sent: list[str] = []
    reminders.tick(start - timedelta(hours=1), send=lambda task, effect_id: sent.append(tasks.send_reminder(effect_id)))
    # then it is not sent, and its ledger row says why
    assert sent == ["suppressed"] and len(smtp.to(GUEST)) == 1
    row = SideEffect.objects.get(handler="email.reminder")
    assert row.state == SideEffect.SUPPRESSED and "cap of 1 emails an hour" in row.last_error


def test_an_email_whose_cap_cannot_be_read_waits_and_is_not_sent_uncounted(
    app: Slotwise, api: Api, smtp: SmtpServer, settings: Any
) -> None:
    # given the cap kept in a Redis that is not there
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 10
    settings.SLOTWISE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    event_type = make_event_type(api, make_host(api))
    assert api.post("/bookings", booking(event_type, DAY[0])).status == 201
    # when the emails go out
    outcomes = deliver(app)
    # then the host's is sent; the attendee's waits, with no attempt counted, for the cap to answer
    assert sorted(outcomes) == ["deferred: the email cap's store did not answer", "sent"]
    row = _attendee_rows()[0]
    assert row.state == SideEffect.PENDING and row.attempts == 0 and row.not_before is not None
    assert smtp.to(GUEST) == [] and len(smtp.to(HOST)) == 1
