"""Offered = bookable: one function decides both which starts are offered and whether a start
may be booked, so the two can never disagree.

Slots step through real (UTC) time from each working interval's first instant, so a
spring-forward day offers nothing in the skipped hour and a fall-back day offers the
repeated hour twice, at distinct instants.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from booking.domain.errors import (
    BeyondBookingWindow,
    BookingRefused,
    DailyLimitReached,
    OutsideAvailability,
    SlotUnavailable,
    TooShortNotice,
)
from booking.domain.schedule import Schedule


@dataclass(frozen=True)
class SlotRules:
    """The parts of an event type that shape its slots."""

    event_type_id: UUID
    length: timedelta
    interval: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    minimum_notice: timedelta
    booking_window_days: int
    max_per_day: int | None


@dataclass(frozen=True)
class Reservation:
    """A booking's hold on its host's time: the meeting and the meeting plus buffers."""

    booking_uid: UUID
    event_type_id: UUID
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    start_date: date  # host-local date of `start`, which daily limits count by

    def conflicts_with(self, other: Reservation) -> bool:
        """Meetings may not fall in each other's buffers; buffers may overlap each other."""
        return (self.start < other.blocked_end and other.blocked_start < self.end) or (
            other.start < self.blocked_end and self.blocked_start < other.end
        )

    @classmethod
    def for_booking(cls, booking_uid: UUID, rules: SlotRules, start: datetime, tz: ZoneInfo) -> Reservation:
        end = start + rules.length
        return cls(
            booking_uid=booking_uid,
            event_type_id=rules.event_type_id,
            start=start,
            end=end,
            blocked_start=start - rules.buffer_before,
            blocked_end=end + rules.buffer_after,
            start_date=start.astimezone(tz).date(),
        )

    def local_dates(self, tz: ZoneInfo) -> list[date]:
        """Every host-local date the blocked interval touches (its calendar days)."""
        first = self.blocked_start.astimezone(tz).date()
        last = (self.blocked_end - timedelta(microseconds=1)).astimezone(tz).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def candidate_starts(schedule: Schedule, tz: ZoneInfo, rules: SlotRules, day: date) -> Iterator[datetime]:
    """The grid of starts on a host-local `day`, in UTC, before any other rule applies."""
    for start, end in schedule.working_intervals(day, tz):
        t, stop = start.astimezone(UTC), end.astimezone(UTC)
        while t + rules.length <= stop:
            yield t
            t += rules.interval


class _Holds:
    """Reservations arranged for the one question asked per candidate start: does a meeting at
    [start, end) conflict with any of them, and how many of one event type start on a day.

    A meeting conflicts with a reservation when it overlaps the reservation's blocked time, or
    when its own blocked time overlaps the reservation's meeting (Reservation.conflicts_with).
    Each of the two kinds of interval is kept sorted by start with the running maximum of
    their ends, so "does any interval overlap [a, b)" is one bisection: among those starting
    before b, the latest end must lie after a. A month of candidates against a month of
    bookings costs O((n + m) log n), not O(n * m)."""

    def __init__(self, reservations: Iterable[Reservation]) -> None:
        held = list(reservations)
        self.blocked = _Intervals((r.blocked_start, r.blocked_end) for r in held)
        self.meetings = _Intervals((r.start, r.end) for r in held)
        self.per_day: dict[tuple[UUID, date], int] = {}
        for r in held:
            self.per_day[(r.event_type_id, r.start_date)] = self.per_day.get((r.event_type_id, r.start_date), 0) + 1

    def conflict(self, start: datetime, end: datetime, blocked_start: datetime, blocked_end: datetime) -> bool:
        return self.blocked.overlaps(start, end) or self.meetings.overlaps(blocked_start, blocked_end)


class _Intervals:
    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        ordered = sorted(intervals)
        self.starts = [start for start, _ in ordered]
        self.latest_end: list[datetime] = []
        for _, end in ordered:
            self.latest_end.append(max(end, self.latest_end[-1]) if self.latest_end else end)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        before = bisect_left(self.starts, end)  # the intervals that start before `end`
        return before > 0 and self.latest_end[before - 1] > start


@dataclass(frozen=True)
class Availability:
    """What one event type can offer at instant `now`, given its host's reservations."""

    schedule: Schedule
    tz: ZoneInfo
    rules: SlotRules
    now: datetime
    reservations: tuple[Reservation, ...]

    def refusal(self, start: datetime, ignoring: UUID | None = None) -> BookingRefused | None:
        """Why `start` cannot be booked now, or None if it can.

        `ignoring` leaves out one booking's own reservation (a reschedule moves it).
        """
        start = start.astimezone(UTC)
        local_day = start.astimezone(self.tz).date()
        if start not in set(candidate_starts(self.schedule, self.tz, self.rules, local_day)):
            return OutsideAvailability("start is not one of the event type's offered starts", "start")
        return self._rule_refusal(start, local_day, self._holds(ignoring))

    def _holds(self, ignoring: UUID | None) -> _Holds:
        return _Holds(r for r in self.reservations if r.booking_uid != ignoring)

    def _rule_refusal(self, start: datetime, local_day: date, holds: _Holds) -> BookingRefused | None:
        """The rules beyond the grid, for a start already known to be on it."""
        rules = self.rules
        if start < self.now + rules.minimum_notice:
            return TooShortNotice("start is sooner than the event type's minimum notice", "start")
        last_day = self.now.astimezone(self.tz).date() + timedelta(days=rules.booking_window_days)
        if local_day > last_day:
            return BeyondBookingWindow("start is beyond the event type's booking window", "start")
        end = start + rules.length
        if holds.conflict(start, end, start - rules.buffer_before, end + rules.buffer_after):
            return SlotUnavailable("the slot is taken or overlaps another booking or its buffer", "start")
        if (
            rules.max_per_day is not None
            and holds.per_day.get((rules.event_type_id, local_day), 0) >= rules.max_per_day
        ):
            return DailyLimitReached("the event type's bookings for that day are full", "start")
        return None

    def check(self, start: datetime, ignoring: UUID | None = None) -> None:
        refusal = self.refusal(start, ignoring)
        if refusal is not None:
            raise refusal

    def offered(self, days: Iterable[date], within: tuple[datetime, datetime] | None = None) -> list[datetime]:
        """Every bookable start on the given host-local days (and in [start, end) of `within`),
        in time order: the starts `_rule_refusal` passes, with what it asks of each start that
        only depends on the day (the booking window, the daily limit) asked once a day, and the
        starts outside `within` never asked about."""
        holds = self._holds(None)
        rules = self.rules
        earliest = self.now + rules.minimum_notice
        last_day = self.now.astimezone(self.tz).date() + timedelta(days=rules.booking_window_days)
        length, before, after, limit = rules.length, rules.buffer_before, rules.buffer_after, rules.max_per_day
        low, high = within if within is not None else (None, None)
        offered: list[datetime] = []
        for day in days:
            if day > last_day:
                continue
            if limit is not None and holds.per_day.get((rules.event_type_id, day), 0) >= limit:
                continue
            for start in candidate_starts(self.schedule, self.tz, rules, day):
                if start < earliest or (low is not None and high is not None and not low <= start < high):
                    continue
                end = start + length
                if not holds.conflict(start, end, start - before, end + after):
                    offered.append(start)
        return offered


_NO_BOOKING = UUID(int=0)
