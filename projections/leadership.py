"""One active process per role (e.g. the relay); others wait as hot standbys.

PostgreSQL: a session advisory lock, held by a dedicated connection for as long as we lead
(if that connection dies, the lock is released and a standby takes over). SQLite (embedded):
an exclusive file lock under var/.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connections


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def leadership(name: str, stop: threading.Event, poll: float = 1.0) -> Iterator[bool]:
    """Yields True once this process leads `name`, or False if `stop` was set while waiting."""
    db = connections["default"].settings_dict
    if db["ENGINE"].endswith("postgresql"):
        with _advisory(name, db, stop, poll) as leading:
            yield leading
    else:
        with _file_lock(Path(settings.SLOTWISE_EVENT_STORE_PATH).with_name(f"{name}.lock"), stop, poll) as leading:
            yield leading


@contextmanager
def _advisory(name: str, db: dict, stop: threading.Event, poll: float) -> Iterator[bool]:  # type: ignore[type-arg]
    conn = psycopg.connect(
        dbname=db["NAME"],
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )
    try:
        while not stop.is_set():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_key(name),)).fetchone()
            if row and row[0]:
                yield True
                return
            stop.wait(poll)
        yield False
    finally:
        conn.close()  # releases the lock


@contextmanager
def _file_lock(path: Path, stop: threading.Event, poll: float) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        while not stop.is_set():
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                stop.wait(poll)
                continue
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
            return
        yield False
