"""The composition root: builds the one event-sourced application each process uses."""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from psycopg.errors import LockNotAvailable

from booking.application import LOCK_WAIT_EXCEEDED, LOCK_WAIT_SECONDS, KeyLocks, Serialise, Slotwise
from booking.domain.errors import ConcurrentUpdate
from booking.eventstore import postgres_env, sqlite_env

log = logging.getLogger("slotwise.bootstrap")

_app: Slotwise | None = None
_lock = threading.Lock()


def store_env(*, create_table: bool) -> dict[str, str]:
    """The event store lives wherever the Django database does (so tests' databases too)."""
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("postgresql"):
        return postgres_env(
            dbname=db["NAME"],
            host=db.get("HOST") or "127.0.0.1",
            port=str(db.get("PORT") or 5432),
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or "",
            create_table=create_table,
        )
    return sqlite_env(Path(settings.SLOTWISE_EVENT_STORE_PATH), create_table=create_table)


def get_app() -> Slotwise:
    """The process's application (one connection pool per process, never per request)."""
    global _app
    if _app is None:
        with _lock:
            if _app is None:
                _app = Slotwise(env=store_env(create_table=False), serialise=writer_locks())
    return _app


def writer_locks() -> Serialise:
    """How writers of one host or organisation take turns, in every process that writes the
    store: on PostgreSQL, advisory locks (every pod waits on the same ones); on the embedded
    store, lock files beside it."""
    if connections["default"].vendor == "postgresql":
        return advisory_locks
    return FileLocks(Path(settings.SLOTWISE_EVENT_STORE_PATH).with_name("writer-locks"))


class FileLocks:
    """The embedded store's writer locks, across the processes sharing it: this process's lock
    per key first (KeyLocks: its threads queue, none waits past LOCK_WAIT_SECONDS), then an
    exclusive flock on one of `stripes` files in `directory`, chosen by the key, polled for as
    long again (flock has no timed wait). Keys of one stripe take turns; that costs little on a
    store that writes one transaction at a time anyway."""

    def __init__(self, directory: Path, stripes: int = 16, wait: float = LOCK_WAIT_SECONDS) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.stripes, self.wait = directory, stripes, wait
        self.threads = KeyLocks(wait)

    @contextmanager
    def __call__(self, keys: Sequence[UUID]) -> Iterator[None]:
        with self.threads(keys), ExitStack() as held:
            for path in sorted({self.file_of(key) for key in keys}):
                self._flock(held.enter_context(path.open("a")).fileno())  # closing the file unlocks it
            yield

    def file_of(self, key: UUID) -> Path:
        return self.directory / f"{key.int % self.stripes:02d}.lock"

    def _flock(self, fd: int) -> None:
        deadline, pause = time.monotonic() + self.wait, 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConcurrentUpdate(LOCK_WAIT_EXCEEDED, None) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)


@contextmanager
def advisory_locks(keys: Sequence[UUID]) -> Iterator[None]:
    """Transaction-scoped advisory locks on this thread's Django connection, held while the
    body runs and released when its transaction ends (or its session does, if it dies).

    The Django connection, not the event store's pool: a thread waiting here holds no store
    connection, and one holding the lock takes one store connection at a time for its reads and
    its save, as without the lock, so the two pools never wait for each other. A waiter holds its
    Django connection (an authenticated request holds it anyway) for at most LOCK_WAIT_SECONDS
    (`lock_timeout`, then ConcurrentUpdate: 409), less than a pool's wait for a connection.
    Each key is the uuid's first 64 bits as two int4 keys, a key space of its own (the single
    int8 keys are projections.leadership's); several are taken in sorted order. A connection
    that fails raises what any database failure does (503 store_unavailable).
    """
    pairs = sorted({advisory_key(key) for key in keys})
    connection = connections["default"]
    with ExitStack() as held:
        held.enter_context(transaction.atomic(using=connection.alias))
        _take(connection, pairs)
        body = held.pop_all()  # from here, the transaction ends after the body
    try:
        yield
    except BaseException as error:
        body.__exit__(type(error), error, error.__traceback__)  # rolls back: releases the locks
        raise
    try:
        body.close()  # commits: releases the locks
    except DatabaseError:
        # what the body did stands (a save, or a version clash it retries); only ending the lock's
        # transaction failed, and its session is gone with the locks
        log.warning("ending the writer lock's transaction failed after the write", exc_info=True)


def advisory_key(key: UUID) -> tuple[int, int]:
    """The two int4 keys of `key`'s lock: its first 64 bits (random in uuid4 and uuid5 alike)."""
    head = key.bytes
    return int.from_bytes(head[0:4], "big", signed=True), int.from_bytes(head[4:8], "big", signed=True)


def _take(connection: Any, pairs: list[tuple[int, int]]) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(LOCK_WAIT_SECONDS * 1000)}ms"])
            for pair in pairs:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", pair)
    except DatabaseError as error:
        if isinstance(error.__cause__, LockNotAvailable):
            raise ConcurrentUpdate(LOCK_WAIT_EXCEEDED, None) from error
        raise


def set_app(app: Slotwise | None) -> None:
    """Swaps the application (tests inject one with a frozen clock); None rebuilds lazily."""
    global _app
    with _lock:
        old, _app = _app, app
    if old is not None and old is not app:
        old.close()


def create_event_store_tables(**_: Any) -> None:
    """Runs after `migrate`: DDL happens once here, never on web workers."""
    Slotwise(env=store_env(create_table=True)).close()
