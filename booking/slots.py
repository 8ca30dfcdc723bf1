"""Offered slots of an event type by date in the invitee's zone, as every API answers them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from booking.bootstrap import get_app
from booking.domain.availability import Reservation
from booking.domain.errors import InvalidValue, NotFound
from booking.domain.timezones import zone
from booking.inputs import calendar_date, uuid_of
from projections.reads import holds
from providers.base import BusyInterval
from providers.busy import CalendarStatus, busy_for_host

T = TypeVar("T")
MAX_DAYS = 62
EXTERNAL = UUID(int=0)


@dataclass(frozen=True)
class SlotQuery:
    event_type_id: UUID
    first_day: date
    last_day: date
    tz: ZoneInfo


def slot_query(event_type_id: str | None, start: str | None, end: str | None, time_zone: str | None) -> SlotQuery:
    """Every bad field reported at once: both dates inclusive, at most MAX_DAYS days."""
    errors: list[tuple[str, str]] = []
    first_day = _collect(errors, lambda: calendar_date(start, "start"))
    last_day = _collect(errors, lambda: calendar_date(end, "end"))
    tz = _collect(errors, lambda: zone(time_zone or "", "timeZone"))
    type_id = _collect(errors, lambda: uuid_of(event_type_id, "eventTypeId"))
    if first_day and last_day and last_day < first_day:
        errors.append(("end", "must not be before start"))
    elif first_day and last_day and (last_day - first_day).days + 1 > MAX_DAYS:
        errors.append(("end", f"a call covers at most {MAX_DAYS} days"))
    if errors or not (first_day and last_day and tz and type_id):
        raise InvalidValue(errors)
    return SlotQuery(type_id, first_day, last_day, tz)


@dataclass(frozen=True)
class Offered:
    by_date: dict[str, list[str]]  # local date -> starts (RFC 3339 with the invitee's offset)
    calendars: list[CalendarStatus]  # how far each connected calendar's busy times could be known


def offered_by_date(query: SlotQuery) -> Offered:
    """Offered starts by local date (dates without slots omitted), less the busy times of the
    host's connected calendars, with each calendar's status."""
    first = datetime.combine(query.first_day, time(0), tzinfo=query.tz)
    after = datetime.combine(query.last_day + timedelta(days=1), time(0), tzinfo=query.tz)
    calendars: list[CalendarStatus] = []

    def held(host_id: UUID, dates: list[date]) -> list[Reservation]:
        """Our own holds and the outside calendars' busy times, over the host-local `dates`
        (whole UTC days a day wider each side, which covers every zone)."""
        start = datetime.combine(min(dates) - timedelta(days=1), time(0), tzinfo=UTC)
        end = datetime.combine(max(dates) + timedelta(days=2), time(0), tzinfo=UTC)
        busy, found = busy_for_host(host_id, start, end)
        calendars.extend(found)
        return [*holds(host_id, dates), *(_hold_of(interval) for interval in busy)]

    try:
        offered = get_app().offered_slots(query.event_type_id, first, after, holds=held)
    except NotFound:
        raise InvalidValue.single("eventTypeId", "unknown event type") from None
    by_date: dict[str, list[str]] = defaultdict(list)
    for slot in offered:
        local = slot.astimezone(query.tz)
        by_date[local.date().isoformat()].append(local.isoformat())
    return Offered(dict(by_date), calendars)


def _hold_of(interval: BusyInterval) -> Reservation:
    """An external meeting holds its time like a booking without buffers, of no event type, so
    it blocks slots (and their buffers) but counts toward no daily limit."""
    return Reservation(
        EXTERNAL, EXTERNAL, interval.start, interval.end, interval.start, interval.end, interval.start.date()
    )


def _collect(errors: list[tuple[str, str]], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except InvalidValue as e:
        errors.extend(e.errors)
        return None
