"""Calendar events and instants for the provider adapter tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from providers.base import CalendarEvent

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0) -> datetime:
    """A wall-clock time in Berlin, as the UTC instant it is (`fold=1`: the second of a repeated hour)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def booking(start: datetime, minutes: int = 30, **fields: Any) -> CalendarEvent:
    """A booking as the port hands it to an adapter: a Berlin host, one attendee."""
    values: dict[str, Any] = {
        "uid": str(uuid4()),
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "time_zone": "Europe/Berlin",
        "summary": "Intro: Bo",
        "description": "Booked through Slotwise",
        "attendee_name": "Bo Jensen",
        "attendee_email": "bo@example.com",
        "organizer_email": "ada@example.com",
        "sequence": 1,
        **fields,
    }
    return CalendarEvent(**values)
