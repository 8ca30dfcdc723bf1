"""The read side on the embedded transport (the log): live equals replay, redelivery changes
nothing, poison events are parked, and a replay swaps in without a read error."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from booking.application import Slotwise
from projections import positions
from projections.envelope import Envelope
from projections.models import AgendaEntry, DeadLetter, Reminder
from projections.projector import Projector
from projections.replay import replay
from projections.selectors import agenda_for
from projections.sources import LogSource
from projections.status import view_statuses
from projections.views import VIEWS
from projections.views.agenda import Agenda
from projections.views.base import Tables
from tests.integration.views_support import ATTENDEE, Scene, commands, snapshots, start_afresh
from tests.support import Clock


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=commands)
@pytest.mark.parametrize("batch_size", [3, 500])  # runs cut short, and a booking's whole life in one run
def test_live_views_equal_replayed_views(
    app: Slotwise, clock: Clock, batch_size: int, steps: list[tuple[str, int, int]]
) -> None:
    start_afresh(app)
    # slots from the day after tomorrow on, as the application's clock sees it and as the events' own time
    # does: the reminders view plans rows only for reminders not yet due when the event happened
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    clock.now = today
    scene = Scene(app, first=today + timedelta(days=2))
    live = {name: Projector(view, LogSource(app), batch_size=batch_size) for name, view in VIEWS.items()}

    def flow(steps: int) -> None:
        for projector in live.values():
            for _ in range(steps):
                projector.step()

    scene.play(steps, flow)
    for projector in live.values():
        projector.catch_up()
    built_live = snapshots()
    if AgendaEntry.objects.filter(status="accepted").exists():
        assert Reminder.objects.exists()  # the reminders view is exercised, not left empty
    for view in VIEWS.values():
        replay(view, LogSource(app))
    assert snapshots() == built_live


@pytest.mark.parametrize("batch_size", [2, 500])
def test_delivering_every_event_twice_changes_nothing(app: Slotwise, batch_size: int) -> None:
    scene = Scene(app)
    first = app.book_slot(scene.event_types[0], scene.start(1), ATTENDEE).subject.id
    app.book_slot(scene.event_types[1], scene.start(3), ATTENDEE)
    app.reschedule_booking(first, scene.start(5))
    app.cancel_booking(first, "x")
    app.update_event_type(scene.org, scene.event_types[1], {"title": "Renamed"})
    for view in VIEWS.values():
        Projector(view, LogSource(app)).catch_up()
    once = snapshots()
    for view in VIEWS.values():  # forget every position: everything arrives a second time
        positions.reset(view.name, 0, None)
        Projector(view, LogSource(app), batch_size=batch_size).catch_up()
    assert snapshots() == once
    assert AgendaEntry.objects.count() == 2


class FragileAgenda(Agenda):
    """The agenda failing on every cancellation (a poison event), alone or in a run."""

    handlers = {**Agenda.handlers, "booking.cancelled": lambda view, e, t: 1 / 0}

    def apply_run(self, run: list[Envelope], tables: Tables) -> None:
        if any(e.type == "booking.cancelled" for e in run):
            raise ZeroDivisionError("a poison event in the run")
        super().apply_run(run, tables)


def test_a_poison_event_is_dead_lettered_and_the_projector_goes_on(app: Slotwise) -> None:
    scene = Scene(app)
    doomed = app.book_slot(scene.event_types[0], scene.start(1), ATTENDEE).subject.id
    app.cancel_booking(doomed, "x")
    later = app.book_slot(scene.event_types[0], scene.start(4), ATTENDEE).subject.id
    projector = Projector(FragileAgenda(), LogSource(app), max_attempts=3, backoff=0)
    projector.catch_up()
    [dead] = DeadLetter.objects.filter(projection="agenda")
    assert dead.event_type == "booking.cancelled" and dead.attempts == 3 and "ZeroDivisionError" in dead.error
    assert AgendaEntry.objects.get(uid=later).status == "accepted"  # it went on past the poison
    assert AgendaEntry.objects.get(uid=doomed).status == "accepted"  # the parked event was not applied
    agenda = next(s for s in view_statuses(app, datetime.now(UTC)) if s.name == "agenda")
    assert agenda.dead_letters == 1 and agenda.lag_events == 0


def test_replay_while_bookings_arrive_swaps_in_a_complete_view_without_read_errors(app: Slotwise) -> None:
    scene = Scene(app, event_types=1)
    for n in range(60):
        app.book_slot(scene.event_types[0], scene.start(n), ATTENDEE)
    stop = threading.Event()
    errors: list[BaseException] = []
    reads = [0]

    def in_thread(work):  # type: ignore[no-untyped-def]
        def run() -> None:
            try:
                work()
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        return threading.Thread(target=run)

    def write() -> None:
        for n in range(60, 140):
            app.book_slot(scene.event_types[0], scene.start(n), ATTENDEE)

    def read() -> None:
        while not stop.is_set():
            agenda_for(scene.org, limit=200)
            reads[0] += 1

    live = Projector(VIEWS["agenda"], LogSource(app), batch_size=20)
    threads = [in_thread(write), in_thread(read), in_thread(lambda: live.run_forever(stop))]
    for t in threads:
        t.start()
    try:
        replay(VIEWS["agenda"], LogSource(app), batch_size=25)
        threads[0].join(120)
        head = app.recorder.max_notification_id()
        for _ in range(600):
            if positions.current("agenda") >= head:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert errors == []
    assert reads[0] > 0
    assert AgendaEntry.objects.filter(organisation_id=scene.org).count() == 140
    live_rows = snapshots()["agenda"]
    replay(VIEWS["agenda"], LogSource(app))
    assert snapshots()["agenda"] == live_rows


def test_a_batch_reads_each_host_and_event_type_once_and_sees_a_rename_within_it(app: Slotwise) -> None:
    scene = Scene(app, event_types=1)
    agenda = Projector(VIEWS["agenda"], LogSource(app))
    agenda.catch_up()
    kind = scene.event_types[0]
    for n in (1, 3, 5):
        app.book_slot(kind, scene.start(n), ATTENDEE)
    app.update_event_type(scene.org, kind, {"title": "Renamed"})
    renamed = app.book_slot(kind, scene.start(7), ATTENDEE).subject.id
    with CaptureQueriesContext(connection) as seen:
        assert agenda.step() > 0  # one batch: three bookings, the rename, one more booking
    reads = Counter(
        table
        for q in seen.captured_queries
        for table in ("agenda_host", "agenda_event_type")
        if f'FROM "{table}"' in q["sql"]
    )
    # once for the three bookings, and once more for the booking after the rename, which made the
    # batch forget what it had read
    assert reads == {"agenda_host": 2, "agenda_event_type": 2}
    assert AgendaEntry.objects.get(uid=renamed).title == "Renamed"
    assert set(AgendaEntry.objects.filter(event_type_id=kind).values_list("title", flat=True)) == {"Renamed"}


def test_a_run_of_bookings_for_many_hosts_reads_the_hosts_and_event_types_at_once(app: Slotwise) -> None:
    scenes = [Scene(app, event_types=1) for _ in range(4)]
    views = [Projector(VIEWS[name], LogSource(app)) for name in ("agenda", "reminders")]
    for projector in views:
        projector.catch_up()
    booked = [
        app.book_slot(scene.event_types[0], scene.start(n), ATTENDEE).subject.id for scene in scenes for n in (1, 3)
    ]
    with CaptureQueriesContext(connection) as seen:
        for projector in views:
            assert projector.step() > 0
    reads = Counter(
        table
        for q in seen.captured_queries
        for table in ("agenda_host", "agenda_event_type", "reminder_event_type")
        if f'FROM "{table}"' in q["sql"]
    )
    assert reads == {"agenda_host": 1, "agenda_event_type": 1, "reminder_event_type": 1}  # not one per host
    assert set(AgendaEntry.objects.filter(uid__in=booked).values_list("host_id", flat=True)) == {s.host for s in scenes}
