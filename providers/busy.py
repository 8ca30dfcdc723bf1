"""Busy times from a host's connected calendars, cached per account and UTC day.

A day's entry is fresh for SLOTWISE_BUSY_FRESH_SECONDS and kept for SLOTWISE_BUSY_STALE_SECONDS.
When entries are missing or old, one process fetches the whole range in one call (the others
wait briefly for it, or use what they have). If the provider cannot answer (down, breaker open,
budget spent), older entries are used and called "stale"; with nothing to use, the calendar is
"unavailable". Every answer says which, per calendar: slots are never silently wrong. A calendar
that fails in any other way (junk answers, unreadable credentials, a bug) is logged and shown as
unavailable too; the host's other calendars are still read.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection

from providers.base import BusyInterval, ProviderError
from providers.calendar_sync import provider_for
from providers.effects import Deferred
from providers.models import CalendarAccount
from providers.resilience import key, redis

log = logging.getLogger("slotwise.busy")


@dataclass(frozen=True)
class CalendarStatus:
    calendar_id: str
    provider: str
    status: str  # ok | stale | unavailable
    as_of: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "calendarId": self.calendar_id,
            "provider": self.provider,
            "status": self.status,
            "asOf": self.as_of.isoformat() if self.as_of else None,
        }


@dataclass(frozen=True)
class Day:
    as_of: datetime
    busy: tuple[BusyInterval, ...]


def busy_for_host(host_id: UUID, start: datetime, end: datetime) -> tuple[list[BusyInterval], list[CalendarStatus]]:
    """Every connected calendar's busy times in [start, end), and how far each can be trusted."""
    busy: list[BusyInterval] = []
    statuses: list[CalendarStatus] = []
    if not _has_calendars(host_id):
        return busy, statuses
    accounts = CalendarAccount.objects.filter(host_id=host_id, disconnected_at__isnull=True).order_by("created_at")
    for account in accounts:
        try:
            intervals, status = busy_for_account(account, start, end)
        except Exception:  # one broken calendar (or its cache) must not take /slots down for the others
            log.exception("busy times failed", extra={"calendarId": str(account.id)})
            intervals, status = [], _status(account, "unavailable", [])
        busy.extend(intervals)
        statuses.append(status)
    return busy, statuses


def _has_calendars(host_id: UUID) -> bool:
    """Whether the host has a connected calendar, asked with one plain statement before any
    account is loaded: most hosts have none, and every slot answer asks. (Django's building of
    the accounts query took about 0.6 ms of a slot answer's CPU; the statement takes 0.03 ms.)"""
    table = connection.ops.quote_name(CalendarAccount._meta.db_table)
    host = CalendarAccount._meta.get_field("host_id").get_db_prep_value(host_id, connection)
    sql = f"SELECT 1 FROM {table} WHERE host_id = %s AND disconnected_at IS NULL LIMIT 1"  # noqa: S608  # nosec B608  # - our model's own table, quoted; the value is a bound parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [host])
        return cursor.fetchone() is not None


def busy_for_account(
    account: CalendarAccount, start: datetime, end: datetime
) -> tuple[list[BusyInterval], CalendarStatus]:
    """One calendar's busy times in [start, end): cached, fetched, or (if it cannot answer) stale or unavailable."""
    days = _days(start, end)
    known = STORE.get(str(account.id), days)
    now = datetime.now(UTC)
    fresh = timedelta(seconds=settings.SLOTWISE_BUSY_FRESH_SECONDS)
    if len(known) == len(days) and all(now - d.as_of < fresh for d in known.values()):
        return _within(known.values(), start, end), _status(account, "ok", known.values())
    if STORE.lead(str(account.id), days):
        try:
            fetched = _fetch(account, days)
        except (ProviderError, Deferred):  # down, paused, over budget, or answering junk: use what is known
            fetched = None
        except Exception:
            log.exception("busy times could not be read", extra={"calendarId": str(account.id)})
            fetched = None
        finally:
            STORE.release(str(account.id), days)
        if fetched is not None:
            STORE.put(str(account.id), fetched)
            return _within(fetched.values(), start, end), _status(account, "ok", fetched.values())
    else:
        known = STORE.wait_for(str(account.id), days, now, known)
    complete = len(known) == len(days)
    state = ("ok" if all(now - d.as_of < fresh for d in known.values()) else "stale") if complete else "unavailable"
    return _within(known.values(), start, end), _status(account, state, known.values())


def _fetch(account: CalendarAccount, days: list[date]) -> dict[date, Day]:
    first = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
    after = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    found = provider_for(account, timeout=settings.SLOTWISE_BUSY_TIMEOUT_SECONDS).busy_times(first, after)
    as_of = datetime.now(UTC)
    return {day: Day(as_of, tuple(b for b in found if _overlaps_day(b, day))) for day in days}


def _days(start: datetime, end: datetime) -> list[date]:
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _overlaps_day(interval: BusyInterval, day: date) -> bool:
    begin = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return interval.start < begin + timedelta(days=1) and begin < interval.end


def _within(days: Iterable[Day], start: datetime, end: datetime) -> list[BusyInterval]:
    unique = {(b.start, b.end) for d in days for b in d.busy if b.start < end and start < b.end}
    return [BusyInterval(s, e) for s, e in sorted(unique)]


def _status(account: CalendarAccount, state: str, days: Iterable[Day]) -> CalendarStatus:
    stamps = [d.as_of for d in days]
    return CalendarStatus(str(account.id), account.provider, state, min(stamps) if stamps else None)


class DayStore:
    """Cached days in Redis (shared) or in this process, with a short single-flight lock."""

    LOCK_SECONDS = 10

    def __init__(self) -> None:
        self._local: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, account: str, days: list[date]) -> dict[date, Day]:
        names = [key("busy", account, d.isoformat()) for d in days]
        shared = redis()
        if shared is not None:
            raw = shared.mget(names)
        else:
            with self._lock:
                raw = [self._alive(n) for n in names]
        return {d: _day_of(v) for d, v in zip(days, raw, strict=True) if v is not None}

    def put(self, account: str, found: dict[date, Day]) -> None:
        ttl = settings.SLOTWISE_BUSY_STALE_SECONDS
        values = {key("busy", account, d.isoformat()): _json_of(day) for d, day in found.items()}
        shared = redis()
        if shared is not None:
            with shared.pipeline() as pipe:
                for name, value in values.items():
                    pipe.set(name, value, ex=ttl)
                pipe.execute()
            return
        with self._lock:
            for name, value in values.items():
                self._local[name] = (time.monotonic() + ttl, value)

    def lead(self, account: str, days: list[date]) -> bool:
        """True for the one caller that should fetch this range now."""
        name = self._lock_name(account, days)
        shared = redis()
        if shared is not None:
            return bool(shared.set(name, "1", nx=True, ex=self.LOCK_SECONDS))
        with self._lock:
            if self._alive(name) is not None:
                return False
            self._local[name] = (time.monotonic() + self.LOCK_SECONDS, "1")
            return True

    def release(self, account: str, days: list[date]) -> None:
        name = self._lock_name(account, days)
        shared = redis()
        if shared is not None:
            shared.delete(name)
            return
        with self._lock:
            self._local.pop(name, None)

    def wait_for(self, account: str, days: list[date], since: datetime, known: dict[date, Day]) -> dict[date, Day]:
        """Another caller is fetching: wait a little for its answer, else keep what we have."""
        deadline = time.monotonic() + settings.SLOTWISE_BUSY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            latest = self.get(account, days)
            if len(latest) == len(days) and all(d.as_of >= since for d in latest.values()):
                return latest
        return self.get(account, days) or known

    def _lock_name(self, account: str, days: list[date]) -> str:
        return key("busy-fetch", account, days[0].isoformat(), days[-1].isoformat())

    def _alive(self, name: str) -> str | None:
        found = self._local.get(name)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]


def _json_of(day: Day) -> str:
    return json.dumps(
        {"asOf": day.as_of.isoformat(), "busy": [[b.start.isoformat(), b.end.isoformat()] for b in day.busy]}
    )


def _day_of(raw: str | bytes) -> Day:
    data = json.loads(raw)
    busy = tuple(BusyInterval(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in data["busy"])
    return Day(datetime.fromisoformat(data["asOf"]), busy)


STORE = DayStore()
