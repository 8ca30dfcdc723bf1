"""Availability: per host and local date, the busy intervals (with buffers) that slots subtract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import Q

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


def _hold(d: dict[str, str]) -> dict[str, object]:
    """A reservation's hold columns (all but its key)."""
    return {
        "event_type_id": d["eventTypeId"],
        "start": datetime.fromisoformat(d["start"]),
        "end": datetime.fromisoformat(d["end"]),
        "blocked_start": datetime.fromisoformat(d["blockedStart"]),
        "blocked_end": datetime.fromisoformat(d["blockedEnd"]),
        "start_date": date.fromisoformat(d["startDate"]),
    }


def _slot_reserved(view: Availability, e: Envelope, t: Tables) -> None:
    day = _advance(e, t)
    if day is None:
        return
    key = {"host_id": day.host_id, "local_date": day.local_date, "booking_uid": e.data["bookingUid"]}
    hold = _hold(e.data)
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


HOLD_KEY = ("host_id", "local_date", "booking_uid")
HOLD_COLUMNS = ("event_type_id", "start", "end", "blocked_start", "blocked_end", "start_date")


def _days(view: Availability, run: list[Envelope], t: Tables) -> None:
    """A run of calendar-day events in a few statements: the days they name are read at once and
    followed in memory in log order, with the version checks one by one makes, keeping only each
    hold's last state; then the new days are inserted, the others' versions updated, the
    released holds deleted and the reserved ones upserted, each in one statement."""
    model = t[AvailabilityDay]
    days = {day.id: day for day in model.objects.filter(id__in={e.aggregate_id for e in run})}
    opened: dict[UUID, Any] = {}
    moved: dict[UUID, Any] = {}
    holds: dict[tuple[Any, ...], dict[str, object] | None] = {}  # None: released
    for e in run:
        day = days.get(e.aggregate_id)
        if e.type == "calendar_day.opened":
            if day is None:
                days[e.aggregate_id] = opened[e.aggregate_id] = model(
                    id=e.aggregate_id,
                    host_id=UUID(e.data["hostId"]),
                    local_date=date.fromisoformat(e.data["localDate"]),
                    version=e.aggregate_version,
                )
            continue
        if day is None or day.version >= e.aggregate_version:
            continue  # not opened, or already applied
        day.version = e.aggregate_version
        if day.id not in opened:
            moved[day.id] = day
        key = (day.host_id, day.local_date, UUID(e.data["bookingUid"]))
        holds[key] = _hold(e.data) if e.type == "calendar_day.slot_reserved" else None
    if opened:
        model.objects.bulk_create(opened.values())
    if moved:
        model.objects.bulk_update(moved.values(), ["version"])
    _write_holds(t[AvailabilityHold], holds)


def _write_holds(model: Any, holds: dict[tuple[Any, ...], dict[str, object] | None]) -> None:
    released = Q()
    for key, hold in holds.items():
        if hold is None:
            released |= Q(**dict(zip(HOLD_KEY, key, strict=True)))
    if released:
        model.objects.filter(released).delete()
    if reserved := [model(**dict(zip(HOLD_KEY, key, strict=True)), **h) for key, h in holds.items() if h is not None]:
        model.objects.bulk_create(reserved, update_conflicts=True, unique_fields=HOLD_KEY, update_fields=HOLD_COLUMNS)


class Availability(View):
    name = "availability"
    models = (AvailabilityDay, AvailabilityHold)
    runs = frozenset({"calendar_day.opened", "calendar_day.slot_reserved", "calendar_day.slot_released"})

    def apply_run(self, run: list[Envelope], tables: Tables) -> None:
        _days(self, run, tables)

    handlers = {
        "calendar_day.opened": _day_opened,
        "calendar_day.slot_reserved": _slot_reserved,
        "calendar_day.slot_released": _slot_released,
    }
