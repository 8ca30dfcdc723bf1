"""Offered slots of an event type, in the invitee's time zone (public)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import WithJsonSchema

from booking import throttle
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.reads import MIN_POSITION, MinPosition, caught_up
from booking.rest.schemas import DATE, ZONE, shown
from booking.slots import MAX_DAYS, offered_by_date, slot_query

router = Router(tags=["slots"])


@router.get("/slots", response={200: r.SlotsReply, **r.problems(422, 429, 503)}, by_alias=True, auth=None)
def list_slots(
    request: HttpRequest,
    eventTypeId: Annotated[str, shown(format="uuid")],  # noqa: N803 - wire names
    start: Annotated[str, shown(description="the first date, inclusive, in timeZone", **DATE)],
    end: Annotated[str, shown(description=f"the last date, at most {MAX_DAYS} days on", **DATE)],
    timeZone: Annotated[str, WithJsonSchema({"type": "string", ZONE: True, "description": "the invitee's zone"})],  # noqa: N803
    minPosition: MinPosition = MIN_POSITION,  # noqa: N803
) -> HttpResponse:
    query = slot_query(eventTypeId, start, end, timeZone)
    throttle.public_read(request, query.event_type_id, throttle.key_holder(request))
    caught_up(minPosition, ("availability",))
    offered = offered_by_date(query)
    by_date = {day: [{"start": s} for s in starts] for day, starts in offered.by_date.items()}
    providers = [calendar.as_json() for calendar in offered.calendars]
    return respond(by_date, meta={"timeZone": timeZone, "eventTypeId": eventTypeId, "providers": providers})
