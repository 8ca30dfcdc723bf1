"""Aggregates as public JSON (camelCase, RFC 3339 instants)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpResponse

from booking.domain.booking import Booking
from booking.domain.event_type import EventType, reminders_of
from booking.domain.host import Host
from booking.public_events import public_event


def respond(data: Any, status: int = 200, meta: dict[str, Any] | None = None, etag: int | None = None) -> HttpResponse:
    body: dict[str, Any] = {"data": data}
    if meta is not None:
        body["meta"] = meta
    response = HttpResponse(json.dumps(body, default=_json_default), status=status, content_type="application/json")
    if etag is not None:
        response["ETag"] = f'"{etag}"'
    return response


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def host_json(host: Host) -> dict[str, Any]:
    return {"id": str(host.id), "name": host.name, "email": host.email, "timeZone": host.time_zone}


def schedule_json(host: Host) -> dict[str, Any]:
    def intervals(items: list[list[str]]) -> list[dict[str, str]]:
        return [{"start": s, "end": e} for s, e in items]

    return {
        "weekly": {day: intervals(items) for day, items in host.weekly.items()},
        "overrides": [{"date": day, "intervals": intervals(items)} for day, items in host.overrides.items()],
    }


def event_type_json(event_type: EventType) -> dict[str, Any]:
    s = event_type.settings
    return {
        "id": str(event_type.id),
        "hostId": str(event_type.host_id),
        "slug": s["slug"],
        "title": s["title"],
        "lengthInMinutes": s["length_in_minutes"],
        "bufferBeforeMinutes": s["buffer_before_minutes"],
        "bufferAfterMinutes": s["buffer_after_minutes"],
        "minimumNoticeMinutes": s["minimum_notice_minutes"],
        "slotIntervalMinutes": s["slot_interval_minutes"] or s["length_in_minutes"],
        "maxBookingsPerDay": s["max_bookings_per_day"],
        "bookingWindowDays": s["booking_window_days"],
        "reminders": reminders_of(s),
    }


def booking_json(booking: Booking, *, cancel_token: str | None = None) -> dict[str, Any]:
    """`cancel_token`: only in the answers that make one (booking.bookings.live_token decides)."""
    data: dict[str, Any] = {
        "uid": str(booking.id),
        "status": booking.status,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "eventTypeId": str(booking.event_type_id),
        "hostId": str(booking.host_id),
        "attendee": dict(booking.attendee),
    }
    if booking.cancellation_reason is not None:
        data["cancellationReason"] = booking.cancellation_reason
    if cancel_token is not None:
        data["cancelToken"] = cancel_token
    return data


def history_json(events: list[Any]) -> list[dict[str, Any]]:
    return [public_event(event) for event in events]
