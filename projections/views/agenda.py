"""The agenda: one entry per booking, with times in UTC and in the host's zone."""

from __future__ import annotations

from datetime import datetime
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


def _booking_created(view: Agenda, e: Envelope, t: Tables) -> None:
    if t[AgendaEntry].objects.filter(uid=e.aggregate_id).exists():
        return  # redelivered
    host = view.row(t, AgendaHost, e.data["hostId"])
    event_type = view.row(t, AgendaEventType, e.data["eventTypeId"])
    attendee = e.data["attendee"]
    start, end = datetime.fromisoformat(e.data["start"]), datetime.fromisoformat(e.data["end"])
    t[AgendaEntry].objects.create(
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


def _booking_rescheduled(view: Agenda, e: Envelope, t: Tables) -> None:
    entry = t[AgendaEntry].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).first()
    if entry is None:
        return
    times = _times(
        datetime.fromisoformat(e.data["toStart"]),
        datetime.fromisoformat(e.data["toEnd"]),
        ZoneInfo(entry.host_time_zone),
    )
    t[AgendaEntry].objects.filter(uid=e.aggregate_id).update(
        updated_at=e.occurred_at, version=e.aggregate_version, **times
    )


def _booking_cancelled(view: Agenda, e: Envelope, t: Tables) -> None:
    t[AgendaEntry].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).update(
        status="cancelled", updated_at=e.occurred_at, version=e.aggregate_version
    )


class Agenda(View):
    name = "agenda"
    models = (AgendaHost, AgendaEventType, AgendaEntry)
    keeps_rows = frozenset({"booking.created", "booking.rescheduled", "booking.cancelled"})
    handlers = {
        "host.registered": _host_registered,
        "event_type.created": _event_type_created,
        "event_type.updated": _event_type_updated,
        "booking.created": _booking_created,
        "booking.rescheduled": _booking_rescheduled,
        "booking.cancelled": _booking_cancelled,
    }
