"""The only way the rest of Slotwise reads the views."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from booking.domain.availability import Reservation
from projections.models import (
    AgendaEntry,
    AgendaEventType,
    AgendaHost,
    AvailabilityHold,
    ProjectionPosition,
    ReminderEventType,
)
from projections.views.reminders import minutes_of

GROUPS = {"day": "local_date", "host": "host_id", "eventType": "event_type_id"}


def wait_for(views: Iterable[str], position: int, timeout: float = 2.0) -> bool:
    """Read-your-writes: wait (bounded) until every view has applied `position`."""
    names = list(views)
    deadline = time.monotonic() + timeout
    while True:
        done = ProjectionPosition.objects.filter(name__in=names, position__gte=position).count()
        if done == len(names):
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(0.02, left))  # never past the deadline: callers share one per request


def holds(host_id: UUID, dates: list[date]) -> list[Reservation]:
    """A host's reservations touching the given local dates, each once."""
    # tuples, not model instances: a slot answer reads dozens of rows
    rows = AvailabilityHold.objects.filter(host_id=host_id, local_date__in=dates).values_list(*HOLD_FIELDS)
    found = {row[0]: Reservation(**dict(zip(HOLD_FIELDS, row, strict=True))) for row in rows}
    return list(found.values())


HOLD_FIELDS = ("booking_uid", "event_type_id", "start", "end", "blocked_start", "blocked_end", "start_date")


def _entries(
    organisation_id: UUID, host_id: UUID | None, first: date | None, last: date | None
) -> QuerySet[AgendaEntry]:
    entries = AgendaEntry.objects.filter(organisation_id=organisation_id)
    if host_id is not None:
        entries = entries.filter(host_id=host_id)
    if first is not None:
        entries = entries.filter(local_date__gte=first)
    if last is not None:
        entries = entries.filter(local_date__lte=last)
    return entries


def agenda_for(
    organisation_id: UUID,
    *,
    host_id: UUID | None = None,
    first: date | None = None,
    last: date | None = None,
    status: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AgendaEntry], str | None]:
    """Entries in start order; `cursor` continues after the last entry of the previous page."""
    entries = _entries(organisation_id, host_id, first, last)
    if status is not None:
        entries = entries.filter(status=status)
    if q:
        entries = entries.filter(Q(attendee_name__icontains=q) | Q(attendee_email__icontains=q) | Q(title__icontains=q))
    if cursor is not None:
        after_start, after_uid = decode_cursor(cursor)
        entries = entries.filter(Q(start__gt=after_start) | Q(start=after_start, uid__gt=after_uid))
    page = list(entries.order_by("start", "uid")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, (encode_cursor(page[-1]) if more else None)


def agenda_stats(
    organisation_id: UUID,
    group_by: str,
    *,
    host_id: UUID | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    key = GROUPS[group_by]
    rows = (
        _entries(organisation_id, host_id, first, last)
        .values(key)
        .annotate(
            bookings=Count("uid", filter=Q(status="accepted")),
            cancelled=Count("uid", filter=Q(status="cancelled")),
            booked_minutes=Sum("minutes", filter=Q(status="accepted")),
        )
        .order_by(key)
    )
    return [
        {
            "key": str(row[key]) if not isinstance(row[key], date) else row[key].isoformat(),
            "bookings": row["bookings"],
            "cancelled": row["cancelled"],
            "bookedMinutes": row["booked_minutes"] or 0,
        }
        for row in rows
    ]


def hosts_by_ids(ids: Iterable[UUID]) -> dict[UUID, AgendaHost]:
    return {h.id: h for h in AgendaHost.objects.filter(id__in=list(ids))}


def event_types_by_ids(ids: Iterable[UUID]) -> dict[UUID, AgendaEventType]:
    return {t.id: t for t in AgendaEventType.objects.filter(id__in=list(ids))}


def event_types_by_hosts(host_ids: Iterable[UUID], limit: int) -> dict[UUID, list[AgendaEventType]]:
    """Each host's first `limit` event types by slug, in one query."""
    found: dict[UUID, list[AgendaEventType]] = {}
    rows = (
        AgendaEventType.objects.filter(host_id__in=list(host_ids))
        .annotate(n=Window(RowNumber(), partition_by=[F("host_id")], order_by=[F("slug").asc(), F("id").asc()]))
        .filter(n__lte=limit)
        .order_by("host_id", "slug", "id")
    )
    for row in rows:
        found.setdefault(row.host_id, []).append(row)
    return found


def reminders_by_event_types(ids: Iterable[UUID]) -> dict[UUID, list[int]]:
    """Each event type's reminder lead times, in minutes before the start."""
    return {t.id: minutes_of(t.minutes) for t in ReminderEventType.objects.filter(id__in=list(ids))}


def entries_by_uids(uids: Iterable[UUID]) -> dict[UUID, AgendaEntry]:
    return {e.uid: e for e in AgendaEntry.objects.filter(uid__in=list(uids))}


def entries_by_attendees(organisation_id: UUID, emails: Iterable[str], limit: int) -> dict[str, list[AgendaEntry]]:
    """Each attendee's first `limit` bookings with the organisation, in start order, in one query."""
    found: dict[str, list[AgendaEntry]] = {}
    rows = (
        AgendaEntry.objects.filter(organisation_id=organisation_id, attendee_email__in=list(emails))
        .annotate(
            n=Window(RowNumber(), partition_by=[F("attendee_email")], order_by=[F("start").asc(), F("uid").asc()])
        )
        .filter(n__lte=limit)
        .order_by("attendee_email", "start", "uid")
    )
    for row in rows:
        found.setdefault(row.attendee_email, []).append(row)
    return found


def encode_cursor(entry: AgendaEntry) -> str:
    raw = json.dumps([entry.start.isoformat(), str(entry.uid)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# An issued cursor is ~100 characters: base64 of ["<isoformat start>", "<uuid>"].
MAX_CURSOR = 160


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for anything this API did not issue: bounded before it is decoded,
    strict base64url, then exactly two strings (an aware start and a UUID)."""
    if len(cursor) > MAX_CURSOR:
        raise ValueError("not a cursor this API issued")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        shape = json.loads(raw)
        if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(part, str) for part in shape)):
            raise ValueError("not a pair of strings")
        start = datetime.fromisoformat(shape[0])
        if start.tzinfo is None:
            raise ValueError("a naive start")
        return start, UUID(shape[1])
    except (ValueError, TypeError, binascii.Error) as error:
        raise ValueError("not a cursor this API issued") from error
