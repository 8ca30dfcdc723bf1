"""Helpers shared by the test suites: a settable clock, JSON calls, store inspection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from booking.application import Slotwise
from booking.eventstore import event_count


@dataclass
class Clock:
    """A clock tests set and advance; the application reads it through `clock()`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def wipe_event_store(app: Slotwise) -> None:
    recorder: Any = app.recorder
    tables = [recorder.events_table_name, app.snapshots.recorder.events_table_name]  # type: ignore[union-attr]
    with recorder.datastore.transaction(commit=True) as curs:
        for table in tables:
            if hasattr(recorder.datastore, "schema"):
                curs.execute(f"TRUNCATE {recorder.datastore.schema}.{table}")
            else:
                curs.execute(f"DELETE FROM {table}")


def events_in(app: Slotwise) -> int:
    return event_count(app.recorder)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def fields(self) -> list[str]:
        """The fields a problem+json reply names, in order."""
        errors = self.body.get("errors", []) if isinstance(self.body, dict) else []
        return [e.get("field") for e in errors]


def reply_of(response: Any) -> Reply:
    raw = response.content
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    return Reply(response.status_code, dict(response.headers), body)


ROOT = Path(__file__).resolve().parents[1]


def settings_in_a_fresh_process(names: tuple[str, ...], **env: str) -> subprocess.CompletedProcess[str]:
    """Loads Django's settings in a new process, with `env` over an environment without any
    SLOTWISE_ variable, and prints the named settings separated by spaces."""
    printed = ", ".join(f"settings.{name}" for name in names)
    script = f"import django; from django.conf import settings; django.setup(); print({printed})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLOTWISE_")}
    clean.update(DJANGO_SETTINGS_MODULE="booking.settings", SLOTWISE_VAR_DIR=str(ROOT / "var" / "test-unit"), **env)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True)


def count_reads(app: Any, monkeypatch: Any) -> Counter[UUID]:
    """How often each aggregate's events are read from the event store, from now on: by the
    repository (a load, or a cached aggregate's fast-forward) or by anyone reading them directly."""
    counted: Counter[UUID] = Counter()
    get: Callable[..., Any] = app.events.get

    def counting(originator_id: UUID, *args: Any, **kwargs: Any) -> Any:
        counted[originator_id] += 1
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(app.events, "get", counting)
    return counted
