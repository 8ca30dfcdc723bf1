"""Offered slots of an event type, in the invitee's time zone (public)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking import throttle
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.reads import caught_up
from booking.slots import offered_by_date, slot_query

router = Router(tags=["slots"])


@router.get("/slots", response={200: r.SlotsReply, **r.problems(422, 429, 503)}, by_alias=True, auth=None)
def list_slots(
    request: HttpRequest,
    eventTypeId: str | None = None,  # noqa: N803 - wire names
    start: str | None = None,
    end: str | None = None,
    timeZone: str | None = None,  # noqa: N803
) -> HttpResponse:
    query = slot_query(eventTypeId, start, end, timeZone)
    throttle.public_read(request, query.event_type_id)
    caught_up(request, ("availability",))
    offered = offered_by_date(query)
    by_date = {day: [{"start": s} for s in starts] for day, starts in offered.by_date.items()}
    providers = [calendar.as_json() for calendar in offered.calendars]
    return respond(by_date, meta={"timeZone": timeZone, "eventTypeId": eventTypeId, "providers": providers})
