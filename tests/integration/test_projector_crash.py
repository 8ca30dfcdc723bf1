"""A projector process killed with SIGKILL mid-stream resumes where its last commit left it:
nothing lost, nothing applied twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from booking.application import Slotwise
from booking.domain.schedule import WEEKDAYS, Schedule
from projections import positions
from projections.models import AgendaEntry
from projections.replay import replay
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.server import ROOT, django_env
from tests.integration.views_support import snapshot

ATTENDEE = {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"}


def _projector(view: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_projector", view, "--batch-size", "5"],
        cwd=ROOT,
        env={**django_env(), "SLOTWISE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition, timeout: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_killed_projector_resumes_without_loss_or_duplicates(app: Slotwise) -> None:
    org = app.register_organisation(f"org-{uuid4().hex[:8]}")
    host = app.register_host(org, "Ada", "ada@example.com", "UTC").subject.id
    app.change_schedule(org, host, Schedule.parse({d: [{"start": "00:00", "end": "24:00"}] for d in WEEKDAYS}, []))
    event_type = app.create_event_type(
        org, host, {"slug": "t", "title": "T", "length_in_minutes": 15, "booking_window_days": 730}
    ).subject.id
    first = datetime(2026, 3, 2, tzinfo=UTC)
    uids = [app.book_slot(event_type, first + timedelta(minutes=15 * n), ATTENDEE).subject.id for n in range(200)]
    for uid in uids[::3]:
        app.cancel_booking(uid, "x")
    head = app.recorder.max_notification_id() or 0

    crashing = _projector("agenda")
    try:
        assert _wait(lambda: positions.current("agenda") > 0), "the projector never started"
    finally:
        os.kill(crashing.pid, signal.SIGKILL)
        crashing.wait(10)
    at_kill = positions.current("agenda")
    assert 0 < at_kill < head, f"killed at {at_kill} of {head}: not mid-stream"

    resumed = _projector("agenda")
    try:
        assert _wait(lambda: positions.current("agenda") >= head), "the restarted projector did not catch up"
    finally:
        resumed.terminate()
        resumed.wait(10)
    assert AgendaEntry.objects.count() == 200
    assert AgendaEntry.objects.filter(status="cancelled").count() == len(uids[::3])
    live = snapshot(VIEWS["agenda"])
    replay(VIEWS["agenda"], LogSource(app))
    assert snapshot(VIEWS["agenda"]) == live
