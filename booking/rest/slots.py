"""Offered slots of an event type, in the invitee's time zone (public)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TypeVar
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue, NotFound
from booking.domain.timezones import zone
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.reads import caught_up
from booking.rest.requests import calendar_date
from projections.reads import holds

router = Router(tags=["slots"])
T = TypeVar("T")
MAX_DAYS = 62


@router.get("/slots", response={200: r.SlotsReply, **r.problems(422, 503)}, by_alias=True, auth=None)
def list_slots(
    request: HttpRequest,
    eventTypeId: str | None = None,  # noqa: N803 - wire names
    start: str | None = None,
    end: str | None = None,
    timeZone: str | None = None,  # noqa: N803
) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    first_day = _collect(errors, lambda: calendar_date(start, "start"))
    last_day = _collect(errors, lambda: calendar_date(end, "end"))
    tz = _collect(errors, lambda: zone(timeZone or "", "timeZone"))
    event_type_id = _collect(errors, lambda: _uuid(eventTypeId))
    if first_day and last_day and last_day < first_day:
        errors.append(("end", "must not be before start"))
    elif first_day and last_day and (last_day - first_day).days + 1 > MAX_DAYS:
        errors.append(("end", f"a call covers at most {MAX_DAYS} days"))
    if errors or not (first_day and last_day and tz and event_type_id):
        raise InvalidValue(errors)
    first = datetime.combine(first_day, time(0), tzinfo=tz)
    after = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    caught_up(request, ("availability",))
    try:
        offered = get_app().offered_slots(event_type_id, first, after, holds=holds)
    except NotFound:
        raise InvalidValue.single("eventTypeId", "unknown event type") from None
    by_date: dict[str, list[dict[str, str]]] = defaultdict(list)
    for slot in offered:
        local = slot.astimezone(tz)
        by_date[local.date().isoformat()].append({"start": local.isoformat()})
    return respond(dict(by_date), meta={"timeZone": timeZone, "eventTypeId": eventTypeId})


def _collect(errors: list[tuple[str, str]], parse: Callable[[], T]) -> T | None:
    """Runs one parse, keeping its error so every bad field is reported at once."""
    try:
        return parse()
    except InvalidValue as e:
        errors.extend(e.errors)
        return None


def _uuid(value: str | None) -> UUID:
    try:
        return UUID(value or "")
    except ValueError:
        raise InvalidValue.single("eventTypeId", "must be a UUID") from None
