"""The agenda view: hosts' and analysts' queries over bookings (organisation key required)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking.domain.errors import InvalidValue
from booking.inputs import date_range, plain_text
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.reads import caught_up
from projections.models import AgendaEntry
from projections.reads import agenda_for, agenda_stats
from projections.selectors import GROUPS

router = Router(tags=["agenda"])
STATUSES = ("accepted", "cancelled")


def entry_json(e: AgendaEntry) -> dict[str, Any]:
    return {
        "uid": str(e.uid),
        "hostId": str(e.host_id),
        "eventTypeId": str(e.event_type_id),
        "title": e.title,
        "attendee": {"name": e.attendee_name, "email": e.attendee_email, "timeZone": e.attendee_time_zone},
        "start": e.start.isoformat(),
        "end": e.end.isoformat(),
        "startLocal": e.start_local,
        "endLocal": e.end_local,
        "hostTimeZone": e.host_time_zone,
        "status": e.status,
        "createdAt": e.created_at.isoformat(),
        "updatedAt": e.updated_at.isoformat(),
    }


@router.get("/agenda", response={200: r.AgendaReply, **r.problems(401, 422, 503)}, by_alias=True)
def agenda(
    request: HttpRequest,
    hostId: UUID | None = None,  # noqa: N803 - wire names
    status: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> HttpResponse:
    first, last = date_range(request.GET.get("from"), request.GET.get("to"))
    if status is not None and status not in STATUSES:
        raise InvalidValue.single("status", "must be accepted or cancelled")
    if not 1 <= limit <= 200:
        raise InvalidValue.single("limit", "must be from 1 to 200")
    if q is not None and len(plain_text(q, "q")) > 200:
        raise InvalidValue.single("q", "must be at most 200 characters")
    caught_up(request, ("agenda",))
    try:
        entries, next_cursor = agenda_for(
            request.auth, host_id=hostId, first=first, last=last, status=status, q=q, cursor=cursor, limit=limit
        )
    except ValueError:
        raise InvalidValue.single("cursor", "is not a cursor this API issued") from None
    return respond([entry_json(e) for e in entries], meta={"nextCursor": next_cursor})


@router.get("/agenda/stats", response={200: r.StatsReply, **r.problems(401, 422, 503)}, by_alias=True)
def stats(request: HttpRequest, groupBy: str = "day", hostId: UUID | None = None) -> HttpResponse:  # noqa: N803
    if groupBy not in GROUPS:
        raise InvalidValue.single("groupBy", "must be day, host or eventType")
    first, last = date_range(request.GET.get("from"), request.GET.get("to"))
    caught_up(request, ("agenda",))
    return respond(agenda_stats(request.auth, groupBy, host_id=hostId, first=first, last=last))
