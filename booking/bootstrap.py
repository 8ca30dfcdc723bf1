"""The composition root: builds the one event-sourced application each process uses."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from booking.application import Slotwise
from booking.eventstore import postgres_env, sqlite_env

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
                _app = Slotwise(env=store_env(create_table=False))
    return _app


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
