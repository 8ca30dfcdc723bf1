"""The aggregate cache's settings are eventsourcing's own, all of them honoured; with fast-forward
skipping on, threads reading one aggregate still never copy it while another thread changes it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from booking.application import Slotwise
from booking.bootstrap import store_env
from booking.domain import ids
from booking.domain.calendar import CalendarDay
from booking.domain.errors import ConcurrentUpdate
from booking.repository import ThreadSafeRepository
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.support import Clock

DAY = date(2026, 1, 6)  # a Tuesday after the frozen clock's Monday morning
READERS = 8
WRITES = 40


@pytest.fixture
def skipping(app: Slotwise, clock: Clock) -> Slotwise:
    """A second application on the same store, its cache set to skip fast-forwards others are doing."""
    return Slotwise(env={**store_env(create_table=False), "AGGREGATE_CACHE_FASTFORWARD_SKIPPING": "y"}, clock=clock)


@pytest.fixture
def busy_interpreter() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads switch every few microseconds: the race comes often
    yield
    sys.setswitchinterval(before)


def test_every_cache_setting_reaches_the_thread_safe_repository(clock: Clock, app: Slotwise) -> None:
    # given the application configured through eventsourcing's environment variables
    env = {"AGGREGATE_CACHE_FASTFORWARD_SKIPPING": "y", "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"}
    configured = Slotwise(env={**store_env(create_table=False), **env}, clock=clock)
    # then its repository is ours, with each setting as given, and the defaults otherwise
    repository = configured.repository
    assert isinstance(repository, ThreadSafeRepository)
    assert (repository.fastforward_skipping, repository.deepcopy_from_cache, repository.fastforward) == (
        True,
        False,
        True,
    )
    assert isinstance(app.repository, ThreadSafeRepository) and not app.repository.fastforward_skipping


def _write(app: Slotwise, event_type_id: UUID, failures: list[BaseException], writes: int = WRITES) -> None:
    start = datetime.combine(DAY, time(9), tzinfo=ZoneInfo("Europe/Berlin"))
    for n in range(writes):
        try:
            booked = app.book_slot(event_type_id, start + timedelta(minutes=30 * (n % 16)), attendee())
            app.cancel_booking(booked.subject.id, "moving it")
        except ConcurrentUpdate:
            continue
        except Exception as error:  # reported by the test, never swallowed
            failures.append(error)


def _read(app: Slotwise, day_id: UUID, stop: threading.Event, failures: list[BaseException]) -> None:
    while not stop.is_set():
        try:
            cached = app.repository.get(day_id)
            assert isinstance(cached, CalendarDay)
            stored = app.repository.get(day_id, version=cached.version)
            assert cached.held == stored.held, f"a copy no stored version had (version {cached.version})"
        except Exception as error:  # reported by the test, never swallowed
            failures.append(error)


def test_with_skipping_on_readers_wait_for_a_fast_forward_rather_than_copy_in_the_middle_of_it(
    api: Api, app: Slotwise, skipping: Slotwise, busy_interpreter: None
) -> None:
    # given a host-day that one thread books and cancels (through an application that always
    # fast-forwards) while eight threads read it through the application whose cache skips the
    # fast-forwards another thread is doing
    event_type_id = UUID(make_event_type(api, make_host(api)))
    day_id = ids.calendar_day_id(app.event_type(event_type_id).host_id, DAY)
    failures: list[BaseException] = []
    _write(app, event_type_id, failures, writes=1)  # the day exists
    stop = threading.Event()
    readers = [threading.Thread(target=_read, args=(skipping, day_id, stop, failures)) for _ in range(READERS)]
    for reader in readers:
        reader.start()

    # when the writer is done
    _write(app, event_type_id, failures)
    stop.set()
    for reader in readers:
        reader.join(60)

    # then no read failed or saw a state the store never had, and the last read is up to date
    assert failures == [], f"{len(failures)} failures, first: {failures[0]!r}" if failures else ""
    day = skipping.repository.get(day_id)
    assert day.held == {} and day.version == app.repository.get(day_id).version > 1 + WRITES
