"""Offered slots of an event type, in the invitee's time zone (public)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue, NotFound
from booking.domain.timezones import zone
from booking.rest.presenters import respond
from booking.rest.requests import calendar_date

router = Router(tags=["slots"])
MAX_DAYS = 62


@router.get("/slots", response=dict, auth=None)
def list_slots(
    request: HttpRequest,
    eventTypeId: str | None = None,  # noqa: N803 - wire names
    start: str | None = None,
    end: str | None = None,
    timeZone: str | None = None,  # noqa: N803
) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    values = {}
    for field, parse in (
        ("start", lambda: calendar_date(start, "start")),
        ("end", lambda: calendar_date(end, "end")),
        ("timeZone", lambda: zone(timeZone or "", "timeZone")),
        ("eventTypeId", lambda: _uuid(eventTypeId)),
    ):
        try:
            values[field] = parse()
        except InvalidValue as e:
            errors.extend(e.errors)
    if not errors and values["end"] < values["start"]:
        errors.append(("end", "must not be before start"))
    if not errors and (values["end"] - values["start"]).days + 1 > MAX_DAYS:
        errors.append(("end", f"a call covers at most {MAX_DAYS} days"))
    if errors:
        raise InvalidValue(errors)
    tz = values["timeZone"]
    first = datetime.combine(values["start"], time(0), tzinfo=tz)
    after = datetime.combine(values["end"] + timedelta(days=1), time(0), tzinfo=tz)
    try:
        offered = get_app().offered_slots(values["eventTypeId"], first, after)
    except NotFound:
        raise InvalidValue.single("eventTypeId", "unknown event type") from None
    by_date: dict[str, list[dict[str, str]]] = defaultdict(list)
    for slot in offered:
        local = slot.astimezone(tz)
        by_date[local.date().isoformat()].append({"start": local.isoformat()})
    return respond(dict(by_date), meta={"timeZone": timeZone, "eventTypeId": eventTypeId})


def _uuid(value: str | None):  # type: ignore[no-untyped-def]
    from uuid import UUID

    try:
        return UUID(value or "")
    except ValueError:
        raise InvalidValue.single("eventTypeId", "must be a UUID") from None
