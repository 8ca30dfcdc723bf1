"""No side effect is stuck: whatever a handler raises lands in its ledger row (the error, one more
attempt) and the row ends dead-lettered when it cannot succeed. Bookings whose attendee address
no mail server or calendar can take are put in the event store through the application (the API
would refuse them), and sent to the real SMTP server, Radicale, and a real Celery worker."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from booking.application import Slotwise
from projections.sources import LogSource
from providers import tasks
from providers.caldav import CalDavProvider
from providers.effects import RetryPolicy, perform
from providers.models import SideEffect
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.side_effects_support import Recorder, broker_env, dispatcher, running, wait_until, worker
from tests.integration.smtp_server import SmtpServer

UNSENDABLE = {
    "a header injected after CR LF": "bo@example.com\r\nBcc: eve@example.com",
    "a trailing newline": "bo@example.com\n",
    "a non-ASCII local part": "bö@exämple.com",
}


def _book(app: Slotwise, api: Api, email: str) -> UUID:
    """A booking straight into the event store, as an older API (or another client) could have left it."""
    event_type = make_event_type(api, make_host(api))
    person = {"name": "Bo", "email": email, "timeZone": "Europe/Berlin"}
    return app.book_slot(UUID(event_type), datetime(2026, 1, 7, 9, tzinfo=UTC), person).subject.id


def _emails() -> list[SideEffect]:
    return list(SideEffect.objects.filter(handler="email.booking").order_by("target"))


@pytest.mark.parametrize("case", UNSENDABLE)
def test_an_email_to_an_address_that_cannot_be_sent_ends_failed_with_its_error(
    app: Slotwise, api: Api, smtp: SmtpServer, case: str
) -> None:
    # given a booking whose attendee address no mail server can take
    _book(app, api, UNSENDABLE[case])
    Recorder(LogSource(app)).step()
    # when the worker runs each email, twice over
    first = {row.target: tasks.send_booking_email(row.id) for row in _emails()}
    again = [tasks.send_booking_email(row.id) for row in _emails()]
    # then both are dead-lettered at once, each with its error and its one attempt counted (the
    # host's carries the attendee's address too: as Reply-To, and in the invitation)
    assert first == {"attendee": "failed", "host": "failed"}, case
    for row in _emails():
        assert (row.state, row.attempts, row.done_at is not None) == (SideEffect.FAILED, 1, True), case
        assert row.last_error.startswith("Rejected(") and "cannot be written" in row.last_error
    # and nothing is pending or retried, and nothing was sent
    assert again == ["nothing to do", "nothing to do"]
    assert not SideEffect.objects.filter(state=SideEffect.PENDING).exists()
    assert smtp.messages() == []


def test_a_booking_that_cannot_be_written_as_icalendar_fails_its_calendar_sync(
    app: Slotwise, api: Api, radicale_server: Any
) -> None:
    # given a host with a calendar on Radicale, and a booking whose attendee address has a line break
    host = make_host(api)
    url = radicale_server.calendar_url(f"stuck-{uuid4().hex[:8]}")
    CalDavProvider(url, radicale_server.username, radicale_server.password).ensure_calendar()
    body = {"provider": "caldav", "url": url, "username": radicale_server.username, "password": "s3cret"}
    assert api.post(f"/hosts/{host}/calendars", body).status == 201
    person = {"name": "Bo", "email": "bo@example.com\r\nX-Injected: 1", "timeZone": "Europe/Berlin"}
    app.book_slot(UUID(make_event_type(api, host)), datetime(2026, 1, 7, 9, tzinfo=UTC), person)
    Recorder(LogSource(app)).step()
    (row,) = SideEffect.objects.filter(handler="calendar.sync")
    # when the worker syncs it, then it is dead-lettered with the reason, and the calendar is untouched
    assert tasks.sync_booking_to_calendar(row.id) == "failed"
    row.refresh_from_db()
    assert row.attempts == 1 and "cannot be written as iCalendar" in row.last_error
    far = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert CalDavProvider(url, radicale_server.username, radicale_server.password).event_uids(*far) == []


def _row() -> SideEffect:
    return SideEffect.objects.create(
        key=f"{uuid4()}/test/{uuid4()}",
        handler="calendar.sync",
        target="t",
        event_id=uuid4(),
        aggregate_id=uuid4(),
        position=1,
    )


@pytest.mark.parametrize(
    "error", [RuntimeError("boom"), KeyError("attendee"), UnicodeEncodeError("ascii", "ö", 0, 1, "no")]
)
def test_an_unexpected_error_is_recorded_counted_and_dead_lettered_after_a_few_attempts(
    transactional_db: None, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    # given a handler that raises something that is not a port error, under a policy that retries at once
    policy = RetryPolicy(base=0.0, cap=0.0, give_up_after=timedelta(days=1), max_unexpected=3)
    row = _row()

    def work(effect: SideEffect) -> str:
        raise error

    # when it runs until it stops: each attempt is counted and its error kept, with the type
    outcomes = []
    with caplog.at_level(logging.ERROR, logger="slotwise.side_effects"):
        for _ in range(5):
            outcomes.append(perform(row.id, policy, work))
            row.refresh_from_db()
            assert row.last_error == f"{type(error).__name__}: {error}"
    # then it was tried max_unexpected times, and is dead-lettered
    assert outcomes == ["retry scheduled", "retry scheduled", "failed", "nothing to do", "nothing to do"]
    assert (row.state, row.attempts) == (SideEffect.FAILED, 3)
    # and each failure was logged with its traceback
    raised = [r for r in caplog.records if r.exc_info and r.exc_info[1] is error]
    assert len(raised) == 3


def test_an_unsendable_email_is_dead_lettered_by_a_real_worker(api: Api, app: Slotwise, smtp: SmtpServer) -> None:
    # given the dispatcher and a Celery worker as real processes, sending to the real SMTP server
    env = broker_env(**smtp.env())
    with running(worker(env, concurrency=2), dispatcher(env)):
        # when a booking with an address that cannot be sent is recorded
        _book(app, api, "bo@example.com\r\nBcc: eve@example.com")

        def settled() -> bool:
            rows = _emails()
            return len(rows) == 2 and all(r.state != SideEffect.PENDING for r in rows)

        wait_until(settled, 60, "both emails settled")
    # then both rows ended failed with their error, each after one attempt, and nothing was sent
    assert [(r.state, r.attempts) for r in _emails()] == [(SideEffect.FAILED, 1), (SideEffect.FAILED, 1)]
    assert all("Rejected(" in r.last_error for r in _emails())
    assert smtp.messages() == []
