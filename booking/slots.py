"""Offered slots of an event type by date in the invitee's zone, as every API answers them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue, NotFound
from booking.domain.timezones import zone
from booking.inputs import calendar_date, uuid_of
from projections.reads import holds

T = TypeVar("T")
MAX_DAYS = 62


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


def offered_by_date(query: SlotQuery) -> dict[str, list[str]]:
    """Local date -> offered starts (RFC 3339 with the invitee's offset); dates without slots omitted."""
    first = datetime.combine(query.first_day, time(0), tzinfo=query.tz)
    after = datetime.combine(query.last_day + timedelta(days=1), time(0), tzinfo=query.tz)
    try:
        offered = get_app().offered_slots(query.event_type_id, first, after, holds=holds)
    except NotFound:
        raise InvalidValue.single("eventTypeId", "unknown event type") from None
    by_date: dict[str, list[str]] = defaultdict(list)
    for slot in offered:
        local = slot.astimezone(query.tz)
        by_date[local.date().isoformat()].append(local.isoformat())
    return dict(by_date)


def _collect(errors: list[tuple[str, str]], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except InvalidValue as e:
        errors.extend(e.errors)
        return None
