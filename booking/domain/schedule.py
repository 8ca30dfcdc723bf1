"""Working hours: weekly intervals and date overrides, in the host's wall-clock time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain.dates import FIRST_DAY, LAST_DAY, parse_date
from booking.domain.errors import InvalidValue

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60
_HHMM = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")  # ASCII digits; matched whole

Primitive = dict[str, list[list[str]]]


def _minutes(text: object, field: str) -> int:
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidValue.single(field, "must be a time as HH:MM")
    minutes = int(match[1]) * 60 + int(match[2])
    if minutes > MINUTES_PER_DAY:
        raise InvalidValue.single(field, "must be at most 24:00")
    return minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class WorkingHours:
    """[start, end) in minutes after local midnight; end may be 1440 (24:00)."""

    start: int
    end: int

    def as_primitive(self) -> list[str]:
        return [_hhmm(self.start), _hhmm(self.end)]

    def instants(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The real instants these wall times mean on `day`.

        Policy (fold=0): a wall time skipped by a spring-forward shifts forward by the gap,
        and a wall time repeated by a fall-back takes its first (earlier) instant.
        """
        return _instant(day, self.start, tz), _instant(day, self.end, tz)


def _instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    if minutes == MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)


def parse_hours(items: Sequence[Mapping[str, object]], field: str) -> tuple[WorkingHours, ...]:
    """Validates one day's intervals: each start before its end, none overlapping."""
    hours: list[WorkingHours] = []
    errors: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        try:
            start = _minutes(item.get("start"), f"{field}[{i}].start")
            end = _minutes(item.get("end"), f"{field}[{i}].end")
        except InvalidValue as e:
            errors.extend(e.errors)
            continue
        if start >= end:
            errors.append((f"{field}[{i}]", "start must be before end"))
            continue
        hours.append(WorkingHours(start, end))
    if errors:
        raise InvalidValue(errors)
    hours.sort()
    for before, after in itertools.pairwise(hours):
        if after.start < before.end:
            raise InvalidValue.single(field, "intervals overlap")
    return tuple(hours)


@dataclass(frozen=True)
class Schedule:
    """Weekly hours per weekday (0 = Monday) and per-date overrides; absent = day off."""

    weekly: Mapping[int, tuple[WorkingHours, ...]]
    overrides: Mapping[date, tuple[WorkingHours, ...]]

    def hours_on(self, day: date) -> tuple[WorkingHours, ...]:
        if day in self.overrides:
            return self.overrides[day]
        return self.weekly.get(day.weekday(), ())

    def working_intervals(self, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """Each interval of `day` as a pair of aware instants (still in the host's zone)."""
        pairs = [hours.instants(day, tz) for hours in self.hours_on(day)]
        return [(start, end) for start, end in pairs if start < end]

    def as_primitives(self) -> tuple[Primitive, Primitive]:
        weekly = {WEEKDAYS[d]: [h.as_primitive() for h in hs] for d, hs in sorted(self.weekly.items()) if hs}
        overrides = {d.isoformat(): [h.as_primitive() for h in hs] for d, hs in sorted(self.overrides.items())}
        return weekly, overrides

    @classmethod
    def empty(cls) -> Schedule:
        return cls({}, {})

    @classmethod
    def from_primitives(cls, weekly: Primitive, overrides: Primitive) -> Schedule:
        def hours(items: list[list[str]]) -> tuple[WorkingHours, ...]:
            return tuple(WorkingHours(_minutes(s, "start"), _minutes(e, "end")) for s, e in items)

        return cls(
            {WEEKDAYS.index(name): hours(items) for name, items in weekly.items()},
            {date.fromisoformat(day): hours(items) for day, items in overrides.items()},
        )

    @classmethod
    def parse(
        cls,
        weekly: Mapping[str, Sequence[Mapping[str, object]]],
        overrides: Sequence[Mapping[str, object]],
    ) -> Schedule:
        """Builds a schedule from its public shape, collecting every error with its field."""
        errors: list[tuple[str, str]] = []
        parsed_weekly: dict[int, tuple[WorkingHours, ...]] = {}
        for name, items in weekly.items():
            if name not in WEEKDAYS:
                errors.append((f"weekly.{name}", "must be a weekday name in English lower case"))
                continue
            try:
                parsed_weekly[WEEKDAYS.index(name)] = parse_hours(items, f"weekly.{name}")
            except InvalidValue as e:
                errors.extend(e.errors)
        parsed_overrides: dict[date, tuple[WorkingHours, ...]] = {}
        for i, override in enumerate(overrides):
            day = parse_date(override.get("date"))
            if day is None:
                errors.append((f"overrides[{i}].date", f"must be a date as YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}"))
                continue
            if day in parsed_overrides:
                errors.append((f"overrides[{i}].date", "date appears twice"))
                continue
            intervals = override.get("intervals", [])
            if not isinstance(intervals, list):
                errors.append((f"overrides[{i}].intervals", "must be a list"))
                continue
            try:
                parsed_overrides[day] = parse_hours(intervals, f"overrides[{i}].intervals")
            except InvalidValue as e:
                errors.extend(e.errors)
        if errors:
            raise InvalidValue(errors)
        return cls(parsed_weekly, parsed_overrides)
