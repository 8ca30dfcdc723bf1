"""How a log follower (projector, dispatcher, relay) waits for the next event without polling.

On PostgreSQL the event store NOTIFYs its channel inside every append's transaction
(eventsourcing's recorder does, before the insert), so the notification arrives exactly when an
append commits and never for one that rolled back. A follower LISTENs on its own connection
and sleeps until then. It also wakes every `fallback` seconds whatever happens: a notification
is not a durable message (one sent while the listening connection was being re-opened is lost),
so the log itself stays the truth and a missed wake-up costs at most that long.

After a wake-up it lingers for `linger` seconds, so that a burst of appends is read as one
batch, not one step per booking: that bounds a follower's work under a spike at the cost of a
few tens of milliseconds of lag.

SQLite has no notifications: there the follower polls, every `poll` seconds while events
arrive, backing off to `idle_poll` while none does (the first event after a quiet spell is seen
within that; the next ones within `poll` again).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

log = logging.getLogger("slotwise.wakeup")


class Wakeup:
    def __init__(
        self, recorder: Any, *, poll: float = 0.05, idle_poll: float = 0.25, fallback: float = 2.0, linger: float = 0.05
    ) -> None:
        self.poll, self.idle_poll, self.fallback, self.linger = poll, max(idle_poll, poll), fallback, linger
        self._next_poll = poll
        self._postgres = isinstance(recorder, PostgresApplicationRecorder)
        self._recorder = recorder
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> Wakeup:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def listen(self) -> None:
        """Starts listening, if it can: call before reading the log, so no append falls in between."""
        if not self._postgres or self._conn is not None:
            return
        params = {k: v for k, v in self._recorder.datastore.pool.kwargs.items() if k != "row_factory"}
        try:
            conn = psycopg.connect(**params, autocommit=True, application_name="slotwise-listen")
            conn.execute(SQL("LISTEN {0}").format(Identifier(self._recorder.channel_name)))
        except psycopg.Error as error:
            log.warning("cannot listen for appends; polling until it can", extra={"error": repr(error)})
            return
        self._conn = conn

    def busy(self) -> None:
        """The follower found events: poll soon again (SQLite)."""
        self._next_poll = self.poll

    def wait(self, stop: threading.Event) -> None:
        """Returns once an append may have happened since the last call (or when `stop` is set)."""
        self.listen()
        if self._conn is None:
            if self._postgres:  # cannot listen now: poll until it can
                stop.wait(min(self.fallback, 1.0))
                return
            stop.wait(self._next_poll)
            self._next_poll = min(self._next_poll * 2, self.idle_poll)
            return
        deadline = time.monotonic() + self.fallback
        try:
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                # short slices, so a stop request is seen within a quarter of a second
                if any(True for _ in self._conn.notifies(timeout=min(left, 0.25), stop_after=1)):
                    break
            if self.linger and not stop.is_set():
                stop.wait(self.linger)
            for _ in self._conn.notifies(timeout=0):  # what arrived meanwhile is read in this batch
                pass
        except psycopg.Error as error:  # the connection went away: re-listen next time, read the log now
            log.warning("lost the listening connection", extra={"error": repr(error)})
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
