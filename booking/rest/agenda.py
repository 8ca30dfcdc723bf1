"""The agenda view: hosts' and analysts' queries over bookings (organisation key required)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from booking.domain.errors import InvalidValue
from booking.inputs import MAX_SEARCH, PLAIN_TEXT_PATTERN, cursor_of, date_range, search_text
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.reads import MIN_POSITION, MinPosition, caught_up
from booking.rest.schemas import DATE, shown
from projections.models import AgendaEntry
from projections.reads import agenda_for, agenda_stats
from projections.selectors import GROUPS, MAX_CURSOR

router = Router(tags=["agenda"])
STATUSES = ("accepted", "cancelled")
MAX_LIMIT = 200
FIRST_DAY, LAST_DAY = "the first host-local date, inclusive", "the last host-local date, inclusive"


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
    hostId: UUID | None = Query(None),  # noqa: N803 - wire names
    from_: Annotated[str, shown(**DATE)] | None = Query(None, alias="from", description=FIRST_DAY),
    to: Annotated[str, shown(**DATE)] | None = Query(None, description=LAST_DAY),
    status: Annotated[str, shown(enum=list(STATUSES))] | None = Query(None),
    q: Annotated[str, shown(maxLength=MAX_SEARCH, pattern=PLAIN_TEXT_PATTERN)] | None = Query(
        None, description="attendee name or email, or title, contains"
    ),
    cursor: Annotated[str, shown(maxLength=MAX_CURSOR, pattern="^[A-Za-z0-9_-]+$")] | None = Query(
        None, description="meta.nextCursor of the page before"
    ),
    limit: Annotated[int, shown(minimum=1, maximum=MAX_LIMIT)] = 50,
    minPosition: MinPosition = MIN_POSITION,  # noqa: N803
) -> HttpResponse:
    first, last = date_range(from_, to)
    if status is not None and status not in STATUSES:
        raise InvalidValue.single("status", "must be accepted or cancelled")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue.single("limit", f"must be from 1 to {MAX_LIMIT}")
    q, cursor = search_text(q, "q"), cursor_of(cursor, "cursor")
    caught_up(minPosition, ("agenda",))
    entries, next_cursor = agenda_for(
        request.auth, host_id=hostId, first=first, last=last, status=status, q=q, cursor=cursor, limit=limit
    )
    return respond([entry_json(e) for e in entries], meta={"nextCursor": next_cursor})


@router.get("/agenda/stats", response={200: r.StatsReply, **r.problems(401, 422, 503)}, by_alias=True)
def stats(
    request: HttpRequest,
    groupBy: Annotated[str, shown(enum=list(GROUPS))] = "day",  # noqa: N803 - wire names
    hostId: UUID | None = Query(None),  # noqa: N803
    from_: Annotated[str, shown(**DATE)] | None = Query(None, alias="from", description=FIRST_DAY),
    to: Annotated[str, shown(**DATE)] | None = Query(None, description=LAST_DAY),
    minPosition: MinPosition = MIN_POSITION,  # noqa: N803
) -> HttpResponse:
    if groupBy not in GROUPS:
        raise InvalidValue.single("groupBy", "must be day, host or eventType")
    first, last = date_range(from_, to)
    caught_up(minPosition, ("agenda",))
    return respond(agenda_stats(request.auth, groupBy, host_id=hostId, first=first, last=last))
