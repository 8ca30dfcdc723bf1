"""Log followers sleep until an append commits (PostgreSQL LISTEN/NOTIFY), or poll (SQLite)."""

from __future__ import annotations

import threading
import time

from eventsourcing.postgres import PostgresApplicationRecorder

from booking.application import Slotwise
from projections.wakeup import Wakeup


def _timed_wait(wakeup: Wakeup, stop: threading.Event) -> float:
    began = time.monotonic()
    wakeup.wait(stop)
    return time.monotonic() - began


def test_a_follower_wakes_when_an_append_commits_and_not_before(app: Slotwise) -> None:
    stop = threading.Event()
    with Wakeup(app.recorder, poll=0.05, fallback=30, linger=0) as wakeup:
        wakeup.listen()
        appender = threading.Timer(0.5, lambda: app.register_organisation("wakes-the-follower"))
        appender.start()
        try:
            waited = _timed_wait(wakeup, stop)
        finally:
            appender.join()
        if isinstance(app.recorder, PostgresApplicationRecorder):
            assert 0.45 <= waited < 5, waited  # asleep until the append's NOTIFY, then at once
            # the notification is used up: the next wait sleeps again, here until the fallback
            wakeup.fallback = 0.5
            assert _timed_wait(wakeup, stop) >= 0.45
        else:
            assert waited < 0.45, waited  # SQLite has no notifications: a short poll


def test_a_notification_sent_while_the_follower_reads_is_not_lost(app: Slotwise) -> None:
    """Listening starts before the log is read, so an append that commits in between still wakes it."""
    stop = threading.Event()
    with Wakeup(app.recorder, poll=0.05, fallback=30, linger=0) as wakeup:
        wakeup.listen()
        app.register_organisation("appended-while-reading")  # the follower is busy reading the log now
        assert _timed_wait(wakeup, stop) < 1


def test_a_stop_request_ends_the_wait_promptly(app: Slotwise) -> None:
    stop = threading.Event()
    with Wakeup(app.recorder, poll=0.05, fallback=30, linger=0) as wakeup:
        wakeup.listen()
        threading.Timer(0.2, stop.set).start()
        assert _timed_wait(wakeup, stop) < 1


def test_an_idle_follower_polls_less_often_yet_sees_the_next_append_soon(app: Slotwise) -> None:
    """SQLite: the poll backs off from 50 ms to 250 ms while nothing comes, and the first append
    after the quiet spell is seen within that; PostgreSQL: the append wakes it at once."""
    stop = threading.Event()
    with Wakeup(app.recorder, poll=0.05, idle_poll=0.25, fallback=0.3, linger=0) as wakeup:
        wakeup.listen()
        quiet = [_timed_wait(wakeup, stop) for _ in range(5)]
        threading.Timer(0.05, lambda: app.register_organisation("after-a-quiet-spell")).start()
        seen = _timed_wait(wakeup, stop)
        if isinstance(app.recorder, PostgresApplicationRecorder):
            assert all(w >= 0.25 for w in quiet), quiet  # asleep until the fallback
            assert seen < 0.25, seen
        else:
            assert quiet[0] < 0.1 and quiet[-1] >= 0.2, quiet  # backed off
            assert seen < 0.35, seen
            wakeup.busy()  # the follower found the event: the next poll is short again
            assert _timed_wait(wakeup, stop) < 0.1
