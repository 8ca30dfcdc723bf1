"""Availability: per host and local date, the busy intervals (with buffers) that slots subtract."""

from __future__ import annotations

from datetime import date, datetime

from projections.envelope import Envelope
from projections.models import AvailabilityDay, AvailabilityHold
from projections.views.base import Tables, View


def _day_opened(view: Availability, e: Envelope, t: Tables) -> None:
    # a look and an insert, not get_or_create's look, savepoint, insert and release: the view has
    # one writer (projections.leadership), so nobody inserts the day between the two
    if not t[AvailabilityDay].objects.filter(id=e.aggregate_id).exists():
        t[AvailabilityDay].objects.create(
            id=e.aggregate_id,
            host_id=e.data["hostId"],
            local_date=date.fromisoformat(e.data["localDate"]),
            version=e.aggregate_version,
        )


def _advance(e: Envelope, t: Tables) -> AvailabilityDay | None:
    """The day, if this event is news to it (versions make redelivery harmless)."""
    day: AvailabilityDay | None = (
        t[AvailabilityDay].objects.filter(id=e.aggregate_id, version__lt=e.aggregate_version).first()
    )
    if day is not None:
        t[AvailabilityDay].objects.filter(id=day.id).update(version=e.aggregate_version)
    return day


def _slot_reserved(view: Availability, e: Envelope, t: Tables) -> None:
    day = _advance(e, t)
    if day is None:
        return
    d = e.data
    key = {"host_id": day.host_id, "local_date": day.local_date, "booking_uid": d["bookingUid"]}
    hold = {
        "event_type_id": d["eventTypeId"],
        "start": datetime.fromisoformat(d["start"]),
        "end": datetime.fromisoformat(d["end"]),
        "blocked_start": datetime.fromisoformat(d["blockedStart"]),
        "blocked_end": datetime.fromisoformat(d["blockedEnd"]),
        "start_date": date.fromisoformat(d["startDate"]),
    }
    # an update, and an insert when it found nothing (a new hold, the usual case): two round
    # trips, not update_or_create's savepoint, locking read, write and release (one writer)
    if not t[AvailabilityHold].objects.filter(**key).update(**hold):
        t[AvailabilityHold].objects.create(**key, **hold)


def _slot_released(view: Availability, e: Envelope, t: Tables) -> None:
    day = _advance(e, t)
    if day is not None:
        t[AvailabilityHold].objects.filter(
            host_id=day.host_id, local_date=day.local_date, booking_uid=e.data["bookingUid"]
        ).delete()


class Availability(View):
    name = "availability"
    models = (AvailabilityDay, AvailabilityHold)
    handlers = {
        "calendar_day.opened": _day_opened,
        "calendar_day.slot_reserved": _slot_reserved,
        "calendar_day.slot_released": _slot_released,
    }
