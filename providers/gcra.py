"""Rate budgets by the generic cell rate algorithm (GCRA), kept in Redis, the database or a process.

A budget is a `Rate`: N requests per period, N of which may come at once, refilled evenly over
the period (one back every period/N). Limit settings spell rates `N/second`, `N/minute`,
`N/hour` or `off` (`parse_rate`).

Its state is one number: its theoretical arrival time (TAT). Taking from it moves the TAT on by
`interval` (from now, if it lies in the past); a take that finds the TAT more than `tolerance`
ahead of now is refused, moves nothing, and answers how long until it would fit. So a budget
lets `tolerance / interval + 1` takes through at once and then one per interval.

Each store makes the decision in one atomic step, so concurrent processes share one budget:
Redis runs it as one script timed by Redis's own clock; the database as one conditional UPDATE
(PostgreSQL re-checks the condition under the row lock; SQLite holds its write lock); a process
under a lock, for budgets that are its own. A database budget whose time has passed is full, as
if it had no row; the scheduler deletes such rows (`prune`).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, FloatField, Value
from django.db.models.functions import Greatest
from redis import Redis

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*([0-9]{1,9})\s*/\s*(second|minute|hour)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """N requests per period: at most `count` at once, then one every `interval` seconds."""

    count: int
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.count

    def cell(self, n: int = 1) -> tuple[float, float]:
        """(interval, tolerance) for the GCRA when one request takes `n` from the budget: the
        budget's arrival time moves on n intervals, and may stand at most count - n ahead."""
        return n * self.interval, (self.count - n) * self.interval

    def __str__(self) -> str:
        unit = next((name for name, length in PERIODS.items() if length == self.seconds), None)
        return f"{self.count}/{unit}" if unit else f"{self.count} per {self.seconds:g} seconds"


def parse_rate(text: str) -> Rate | None:
    """`60/minute` -> Rate(60, 60.0); `off` -> None. Raises ValueError for anything else."""
    if text.strip().lower() == "off":
        return None
    found = _RATE.match(text)
    if found is None or int(found[1]) < 1:
        raise ValueError(f"{text!r} is not a rate: write N/second, N/minute or N/hour (N >= 1), or off")
    return Rate(int(found[1]), PERIODS[found[2].lower()])


LUA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > tolerance then return tostring(tat - now - tolerance) end
tat = tat + interval
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
return '0'
"""


def in_redis(client: Redis, key: str, interval: float, tolerance: float) -> float:
    """Takes from the budget at `key`: 0 when taken, else the seconds until it would be."""
    return float(client.eval(LUA, 1, key, repr(interval), repr(tolerance)))


def in_database(name: str, interval: float, tolerance: float, now: float | None = None) -> float:
    """Takes from the budget `name` in the Django database: 0 when taken, else the seconds until
    it would be. `now` is Unix seconds (this process's clock unless given)."""
    at = time.time() if now is None else now
    for _ in range(3):  # a row made or pruned by another process between two steps: look again
        if _advance(name, interval, tolerance, at):
            return 0.0
        tat: float | None = _budgets().filter(name=name).values_list("tat", flat=True).first()
        if tat is None:
            if _create(name, at + interval):
                return 0.0
        elif tat > at + tolerance:
            return tat - at - tolerance
    return 0.0  # the row kept changing under us: its budget is being taken and pruned, not spent


def _advance(name: str, interval: float, tolerance: float, now: float) -> bool:
    """One UPDATE that moves the TAT on only while it stands within the tolerance of now."""
    moved: int = (
        _budgets()
        .filter(name=name, tat__lte=now + tolerance)
        .update(tat=Greatest(F("tat"), Value(now, output_field=FloatField())) + interval)
    )
    return moved == 1


def _create(name: str, tat: float) -> bool:
    """A first take makes the row (a missing row is a full budget)."""
    try:
        with transaction.atomic():
            _budgets().create(name=name, tat=tat)
    except IntegrityError:
        return False  # another process made it since we looked
    return True


def prune(now: float | None = None) -> int:
    """Deletes the database's full budgets (their time has passed): a missing row is a full budget,
    so nothing changes but the table's size. Run by the scheduler, not by a take: on SQLite
    every write waits for the one lock the projectors and the ledger write under too."""
    at = time.time() if now is None else now
    gone: int = _budgets().filter(tat__lt=at).delete()[0]
    return gone


def _budgets() -> Any:
    """The budgets' table. Imported when used: the settings import this module (for Rate)
    before Django has loaded the apps."""
    from providers.models import RateBudget

    return RateBudget.objects


class InProcess:
    """Budgets this process keeps to itself (for limits that are per process by design)."""

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, name: str, interval: float, tolerance: float) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tats.get(name, now), now)
            if tat - now > tolerance:
                return tat - now - tolerance
            self._tats[name] = tat + interval
            return 0.0
