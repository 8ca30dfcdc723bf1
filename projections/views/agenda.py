"""The agenda: one entry per booking, with times in UTC and in the host's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from booking.domain.event_type import DEFAULTS
from projections.envelope import Envelope
from projections.models import AgendaEntry, AgendaEventType, AgendaHost
from projections.views.base import Tables, View


def _host_registered(view: Agenda, e: Envelope, t: Tables) -> None:
    t[AgendaHost].objects.update_or_create(
        id=e.aggregate_id,
        defaults={
            "organisation_id": e.data["organisationId"],
            "name": e.data["name"],
            "email": e.data["email"],
            "time_zone": e.data["timeZone"],
            "version": e.aggregate_version,
        },
    )


# public setting name -> column
SETTINGS = {
    "slug": "slug",
    "title": "title",
    "lengthInMinutes": "length_in_minutes",
    "bufferBeforeMinutes": "buffer_before_minutes",
    "bufferAfterMinutes": "buffer_after_minutes",
    "minimumNoticeMinutes": "minimum_notice_minutes",
    "slotIntervalMinutes": "slot_interval_minutes",
    "maxBookingsPerDay": "max_bookings_per_day",
    "bookingWindowDays": "booking_window_days",
}


def _settings(published: dict[str, object]) -> dict[str, object]:
    return {column: published[name] for name, column in SETTINGS.items() if name in published}


def _event_type_created(view: Agenda, e: Envelope, t: Tables) -> None:
    t[AgendaEventType].objects.update_or_create(
        id=e.aggregate_id,
        defaults={
            "organisation_id": e.data["organisationId"],
            "host_id": e.data["hostId"],
            "version": e.aggregate_version,
            **DEFAULTS,  # the event holds the settings as given; the aggregate fills in the rest
            **_settings(e.data["settings"]),
        },
    )


def _event_type_updated(view: Agenda, e: Envelope, t: Tables) -> None:
    changes = _settings(e.data["changes"])
    rows = t[AgendaEventType].objects.filter(id=e.aggregate_id, version__lt=e.aggregate_version)
    if not rows.update(version=e.aggregate_version, **changes):
        return  # already applied
    if "title" in changes:
        t[AgendaEntry].objects.filter(event_type_id=e.aggregate_id).update(title=changes["title"])


def _times(start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, object]:
    local_start = start.astimezone(zone)
    return {
        "start": start,
        "end": end,
        "start_local": local_start.isoformat(),
        "end_local": end.astimezone(zone).isoformat(),
        "local_date": local_start.date(),
        "minutes": int((end - start).total_seconds() // 60),
    }


def _entry(view: Agenda, e: Envelope, t: Tables) -> dict[str, Any]:
    """The new entry's columns for a `booking.created`."""
    host = view.row(t, AgendaHost, e.data["hostId"])
    event_type = view.row(t, AgendaEventType, e.data["eventTypeId"])
    attendee = e.data["attendee"]
    start, end = datetime.fromisoformat(e.data["start"]), datetime.fromisoformat(e.data["end"])
    return dict(
        uid=e.aggregate_id,
        organisation_id=e.data["organisationId"],
        host_id=host.id,
        event_type_id=event_type.id,
        title=event_type.title,
        attendee_name=attendee["name"],
        attendee_email=attendee["email"],
        attendee_time_zone=attendee["timeZone"],
        host_time_zone=host.time_zone,
        status="accepted",
        created_at=e.occurred_at,
        updated_at=e.occurred_at,
        version=e.aggregate_version,
        **_times(start, end, ZoneInfo(host.time_zone)),
    )


def _booking_created(view: Agenda, e: Envelope, t: Tables) -> None:
    if t[AgendaEntry].objects.filter(uid=e.aggregate_id).exists():
        return  # redelivered
    t[AgendaEntry].objects.create(**_entry(view, e, t))


def _rescheduled_times(e: Envelope, host_time_zone: str) -> dict[str, object]:
    return _times(
        datetime.fromisoformat(e.data["toStart"]), datetime.fromisoformat(e.data["toEnd"]), ZoneInfo(host_time_zone)
    )


def _booking_rescheduled(view: Agenda, e: Envelope, t: Tables) -> None:
    entry = t[AgendaEntry].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).first()
    if entry is None:
        return
    t[AgendaEntry].objects.filter(uid=e.aggregate_id).update(
        updated_at=e.occurred_at, version=e.aggregate_version, **_rescheduled_times(e, entry.host_time_zone)
    )


def _booking_cancelled(view: Agenda, e: Envelope, t: Tables) -> None:
    t[AgendaEntry].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).update(
        status="cancelled", updated_at=e.occurred_at, version=e.aggregate_version
    )


# what a reschedule or a cancellation may change in an entry
CHANGING = ("start", "end", "start_local", "end_local", "local_date", "minutes", "status", "updated_at", "version")


def _bookings(view: Agenda, run: list[Envelope], t: Tables) -> None:
    """A run of booking events in three statements, and one read each of the hosts and event
    types it names that the batch has not read yet: the entries it names are read at once,
    changed in memory in log order with the checks one by one makes, then the new ones are
    inserted and the changed ones updated together."""
    model = t[AgendaEntry]
    known = {row.uid: row for row in model.objects.filter(uid__in={e.aggregate_id for e in run})}
    created = [e.data for e in run if e.type == "booking.created"]
    view.rows(t, AgendaHost, {d["hostId"] for d in created})
    view.rows(t, AgendaEventType, {d["eventTypeId"] for d in created})
    new: dict[UUID, Any] = {}
    changed: dict[UUID, Any] = {}
    for e in run:
        entry = new.get(e.aggregate_id) or known.get(e.aggregate_id)
        if e.type == "booking.created":
            if entry is None:  # else redelivered
                new[e.aggregate_id] = model(**_entry(view, e, t))
            continue
        if entry is None or entry.version >= e.aggregate_version:
            continue  # unknown or already applied
        if e.type == "booking.rescheduled":
            for column, value in _rescheduled_times(e, entry.host_time_zone).items():
                setattr(entry, column, value)
        else:
            entry.status = "cancelled"
        entry.updated_at, entry.version = e.occurred_at, e.aggregate_version
        if e.aggregate_id not in new:
            changed[e.aggregate_id] = entry
    if new:
        model.objects.bulk_create(new.values())
    if changed:
        model.objects.bulk_update(changed.values(), CHANGING)


class Agenda(View):
    name = "agenda"
    models = (AgendaHost, AgendaEventType, AgendaEntry)
    keeps_rows = frozenset({"booking.created", "booking.rescheduled", "booking.cancelled"})
    runs = keeps_rows

    def apply_run(self, run: list[Envelope], tables: Tables) -> None:
        _bookings(self, run, tables)

    handlers = {
        "host.registered": _host_registered,
        "event_type.created": _event_type_created,
        "event_type.updated": _event_type_updated,
        "booking.created": _booking_created,
        "booking.rescheduled": _booking_rescheduled,
        "booking.cancelled": _booking_cancelled,
    }
