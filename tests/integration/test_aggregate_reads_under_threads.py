"""Many threads of one process booking, reading and cancelling on one calendar day at once.

A gthread worker shares one application (and so one aggregate cache) between its threads: a
read must never see, or trip over, a cached aggregate that another thread is fast-forwarding.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from booking.application import Slotwise
from booking.domain import ids
from booking.domain.calendar import CalendarDay
from booking.domain.errors import ConcurrentUpdate
from tests.integration.conftest import Api, attendee, make_event_type, make_host

BERLIN = ZoneInfo("Europe/Berlin")
THREADS = 16
ROUNDS = 20
DAY = date(2026, 1, 6)  # a Tuesday after the frozen clock's Monday morning


@pytest.fixture
def busy_interpreter() -> Iterator[None]:
    # switch threads every few microseconds, so interleavings that need luck at 5 ms come often
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def _slot(n: int) -> datetime:
    return datetime.combine(DAY, time(9), tzinfo=BERLIN) + timedelta(minutes=30 * n)


def _consistent(app: Slotwise, day_id: UUID) -> None:
    """Reads the day through the cache and checks it against the store at the same version."""
    cached = app.repository.get(day_id)
    assert isinstance(cached, CalendarDay)
    stored = app.repository.get(day_id, version=cached.version)
    assert cached.held == stored.held, f"cached copy differs from the store at version {cached.version}"


def _book_read_cancel(app: Slotwise, event_type_id: UUID, day_id: UUID, n: int) -> bool:
    """Books slot n, reads the day, cancels, reads again; False if the store was too busy to book."""
    try:
        booked = app.book_slot(event_type_id, _slot(n), attendee())
    except ConcurrentUpdate:
        return False  # a 409 the client retries: not the failure this test is about
    _consistent(app, day_id)
    _cancel(app, booked.subject.id)
    _consistent(app, day_id)
    return True


def _cancel(app: Slotwise, booking_id: UUID, tries: int = 10) -> None:
    """Cancels as a client does: a 409 for too much contention is retried."""
    for _ in range(tries - 1):
        try:
            app.cancel_booking(booking_id, "rescheduling myself")
            return
        except ConcurrentUpdate:
            continue
    app.cancel_booking(booking_id, "rescheduling myself")


def _rounds(calls: list[Callable[[], bool]], rounds: int) -> tuple[int, list[BaseException]]:
    """Runs the calls together, `rounds` times: how many returned True, and what any raised."""
    barrier = threading.Barrier(len(calls))
    done: list[bool] = []
    raised: list[BaseException] = []

    def run(call: Callable[[], bool]) -> None:
        for _ in range(rounds):
            barrier.wait()
            try:
                done.append(call())
            except Exception as error:  # every failure is reported below, none is swallowed
                raised.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return sum(done), raised


def test_sixteen_threads_booking_and_cancelling_one_day_read_it_safely(
    app: Slotwise, api: Api, busy_interpreter: None
) -> None:
    # given one host-day that sixteen threads of this process book, read and cancel together
    event_type_id = UUID(make_event_type(api, make_host(api)))
    host_id = app.event_type(event_type_id).host_id
    day_id = ids.calendar_day_id(host_id, DAY)
    calls = [lambda n=n: _book_read_cancel(app, event_type_id, day_id, n) for n in range(THREADS)]

    # when they do it round after round through the shared application and its cache
    booked, raised = _rounds(calls, ROUNDS)

    # then no read failed or saw a state the store never had, and every booking was released
    assert raised == [], f"{len(raised)} failures, first: {raised[0]!r}" if raised else ""
    assert booked >= THREADS * ROUNDS // 2, f"only {booked} bookings got through: the race was barely run"
    day = app.repository.get(day_id)
    assert day.held == {}
    assert day.version == 1 + 2 * booked  # opened, then one reserve and one release per booking
