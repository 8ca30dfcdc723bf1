"""Drill: 200 reminders fall due at once; two schedulers (celery beat) and a worker run as real
processes on the real Redis, sending to a real SMTP server; the worker is killed with kill -9
partway through and restarted. Every reminder arrives, none twice."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from booking.application import Slotwise
from booking.domain.schedule import WEEKDAYS, Schedule
from projections.models import Reminder
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from providers.models import SideEffect
from tests.integration.side_effects_support import broker_env, kill9, running, start, wait_until, worker
from tests.integration.smtp_server import smtp_server
from tests.support import Clock

COUNT = 200
CONCURRENCY = 4
SETUP_MARGIN = timedelta(seconds=30)  # time to make the event types and bookings before the reminders fall due


def hosts(app: Slotwise, count: int) -> tuple[UUID, list[UUID]]:
    """An organisation with `count` hosts open around the clock: one booking each, all at the same time."""
    org = app.register_organisation("drill")
    always = Schedule.parse({day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}, [])
    made = []
    for n in range(count):
        host = app.register_host(org, f"Host {n}", f"host{n}@example.com", "Europe/Berlin").subject.id
        app.change_schedule(org, host, always)
        made.append(host)
    return org, made


def reminders_due_soon(app: Slotwise, clock: Clock, org: UUID, host_ids: list[UUID]) -> datetime:
    """Books every host at one start with a reminder `lead` minutes before it, due a little after
    the bookings are made (a reminder already due when booked would never be sent); returns the due time."""
    now = clock.now = datetime.now(UTC)
    earliest = now + SETUP_MARGIN + timedelta(minutes=5)
    start = earliest.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=5 * (earliest.minute // 5 + 1))
    lead = int((start - now - SETUP_MARGIN) / timedelta(minutes=1))
    for n, host in enumerate(host_ids):
        settings = {"slug": "check-in", "title": "Check-in", "length_in_minutes": 5, "reminders": [lead]}
        event_type = app.create_event_type(org, host, settings).subject.id
        app.book_slot(event_type, start, {"name": f"Guest {n}", "email": f"guest{n}@example.com", "timeZone": "UTC"})
    due = start - timedelta(minutes=lead)
    assert datetime.now(UTC) < due, "the setup outlasted its margin: the reminders were due when booked"
    return due


def beat(env: dict[str, str], folder: Path, name: str) -> subprocess.Popen[bytes]:
    schedule = str(folder / f"{name}-schedule")
    return start(["-m", "celery", "-A", "booking.celery", "beat", "-s", schedule, "-l", "WARNING"], env)


def test_a_worker_killed_mid_batch_sends_every_reminder_exactly_once(app: Slotwise, clock: Clock) -> None:
    org, host_ids = hosts(app, COUNT)
    due = reminders_due_soon(app, clock, org, host_ids)
    time.sleep(max((due - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    Projector(VIEWS["reminders"], LogSource(app)).catch_up()  # the reminders projector, caught up
    reminder_ids = {str(r.id) for r in Reminder.objects.all()}
    assert len(reminder_ids) == COUNT

    with smtp_server() as smtp, tempfile.TemporaryDirectory(prefix="beat-") as folder:
        smtp.slow_down(0.05)  # a server some milliseconds away, so the kill finds sends in flight
        env = broker_env(
            **smtp.env(),
            SLOTWISE_REMINDER_TICK_SECONDS="2",
            SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS="15",
            SLOTWISE_EMAIL_TIMEOUT="5",
        )
        first = worker(env, concurrency=CONCURRENCY)
        with running(beat(env, Path(folder), "one"), beat(env, Path(folder), "two")):  # two schedulers
            wait_until(lambda: len(smtp.messages()) >= 20, 90, "the first reminders")
            kill9(first)  # mid-batch: sends in flight, messages taken and not acknowledged
            at_kill = len(smtp.messages())
            assert at_kill < COUNT, "the batch finished before the kill; the drill proved nothing"
            with running(worker(env, concurrency=CONCURRENCY)):
                wait_until(lambda: _done() == COUNT, 180, "every reminder after the restart")
                time.sleep(3)  # a tick or two more: nothing may be sent again
        received = smtp.messages()

    by_id = Counter(m.message_id for m in received)
    expected = {f"<reminder.{i}@slotwise.localhost>" for i in reminder_ids}
    duplicates = {mid: n for mid, n in by_id.items() if n > 1}
    print(f"\ndrill: {len(received)} received, {len(by_id)} distinct, {at_kill} before the kill; resent {duplicates}")
    assert set(by_id) == expected  # every reminder arrived, and nothing else
    per_guest: dict[str, set[str]] = {}
    for message in received:
        for address in message.recipients:
            per_guest.setdefault(address, set()).add(message.message_id)
    assert sorted(per_guest) == sorted(f"guest{n}@example.com" for n in range(COUNT))
    assert all(len(ids) == 1 for ids in per_guest.values())  # one reminder each (a resend is the same message)
    # A resend can only come from a send the kill interrupted after the server accepted the
    # message and before the ledger recorded it: at most one per worker process in flight.
    assert len(received) - len(by_id) <= CONCURRENCY, duplicates
    assert SideEffect.objects.filter(handler="email.reminder").count() == COUNT
    assert not SideEffect.objects.filter(handler="email.reminder").exclude(state=SideEffect.DONE).exists()


def _done() -> int:
    return SideEffect.objects.filter(handler="email.reminder", state=SideEffect.DONE).count()
