"""Reminders: the emails due before each booking's start, one per lead time of its event type.

Rows follow the booking: made when it is created, moved when it is rescheduled (a moved
reminder is a new one, with a new id), dropped when it is cancelled. A reminder already due
when its booking is made or moved (booked 30 minutes ahead: the hour-before one) gets no row,
so it is never sent late; "already" is judged by the event's own time, so a replay makes the
same rows. The lead times are the event type's when the booking is made or moved.

Whether a reminder was sent is kept in the side-effect ledger (providers.reminders), not here:
rebuilding this view never sends anything twice. Kept in SQL whatever the read store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from django.db.models import Q

from booking.domain.event_type import DEFAULT_REMINDERS, reminders_of
from booking.domain.ids import NAMESPACE
from projections.envelope import Envelope
from projections.models import Reminder, ReminderBooking, ReminderEventType
from projections.views.base import Tables, View


def reminder_id(booking_uid: Any, minutes: int, due_at: datetime) -> UUID:
    """Stable per booking, lead time and due instant: the same reminder always has the same id."""
    return uuid5(NAMESPACE, f"reminder/{booking_uid}/{minutes}/{due_at.astimezone(UTC).isoformat()}")


def minutes_of(text: str) -> list[int]:
    return [int(m) for m in text.split(",") if m]


def _text(minutes: Iterable[int]) -> str:
    return ",".join(str(m) for m in minutes)


def _event_type_created(view: Reminders, e: Envelope, t: Tables) -> None:
    t[ReminderEventType].objects.update_or_create(
        id=e.aggregate_id,
        defaults={"minutes": _text(reminders_of(e.data["settings"])), "version": e.aggregate_version},
    )


def _event_type_updated(view: Reminders, e: Envelope, t: Tables) -> None:
    changes = e.data["changes"]
    if "reminders" in changes:
        t[ReminderEventType].objects.filter(id=e.aggregate_id, version__lt=e.aggregate_version).update(
            minutes=_text(changes["reminders"]), version=e.aggregate_version
        )


def _planned(e: Envelope, t: Tables, event_type_id: Any, start: datetime) -> list[dict[str, Any]]:
    """The rows for the lead times still ahead when `e` happened."""
    kind = View.row(t, ReminderEventType, event_type_id, required=False)
    planned = []
    for minutes in minutes_of(kind.minutes) if kind is not None else DEFAULT_REMINDERS:
        due_at = start - timedelta(minutes=minutes)
        if due_at <= e.occurred_at:
            continue  # already due: never sent late
        planned.append(
            {
                "id": reminder_id(e.aggregate_id, minutes, due_at),
                "booking_uid": e.aggregate_id,
                "minutes": minutes,
                "due_at": due_at,
                "start": start,
                "event_id": e.event_id,
                "position": e.position,
            }
        )
    return planned


def _plan(e: Envelope, t: Tables, event_type_id: Any, start: datetime) -> str:
    """Rows for the lead times still ahead when `e` happened; returns those lead times."""
    planned = _planned(e, t, event_type_id, start)
    for row in planned:
        t[Reminder].objects.create(**row)
    return _lead_times(planned)


def _lead_times(planned: list[dict[str, Any]]) -> str:
    return _text(row["minutes"] for row in planned)


def _drop(t: Tables, booking: Any) -> None:
    for minutes in minutes_of(booking.minutes):
        t[Reminder].objects.filter(booking_uid=booking.uid, minutes=minutes).delete()


def _booking_created(view: Reminders, e: Envelope, t: Tables) -> None:
    if t[ReminderBooking].objects.filter(uid=e.aggregate_id).exists():
        return  # redelivered
    event_type_id = e.data["eventTypeId"]
    planned = _plan(e, t, event_type_id, datetime.fromisoformat(e.data["start"]))
    t[ReminderBooking].objects.create(
        uid=e.aggregate_id, event_type_id=event_type_id, minutes=planned, version=e.aggregate_version
    )


def _booking_rescheduled(view: Reminders, e: Envelope, t: Tables) -> None:
    booking = t[ReminderBooking].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).first()
    if booking is None:
        return
    _drop(t, booking)
    planned = _plan(e, t, booking.event_type_id, datetime.fromisoformat(e.data["toStart"]))
    t[ReminderBooking].objects.filter(uid=e.aggregate_id).update(minutes=planned, version=e.aggregate_version)


def _booking_cancelled(view: Reminders, e: Envelope, t: Tables) -> None:
    booking = t[ReminderBooking].objects.filter(uid=e.aggregate_id, version__lt=e.aggregate_version).first()
    if booking is None:
        return
    _drop(t, booking)
    t[ReminderBooking].objects.filter(uid=e.aggregate_id).update(minutes="", version=e.aggregate_version)


def _bookings(view: Reminders, run: list[Envelope], t: Tables) -> None:
    """A run of booking events in a few statements: the bookings they name are read at once and
    followed in memory in log order; then the reminders they dropped are deleted, and the new
    reminders and bookings inserted and the changed bookings updated, each in one statement.

    A booking's current reminders are either all in the table or all made in this run (`fresh`):
    dropping fresh ones forgets them, dropping the table's deletes them before any insert (a
    reminder moved to the same instant keeps its id)."""
    model = t[ReminderBooking]
    known = {row.uid: row for row in model.objects.filter(uid__in={e.aggregate_id for e in run})}
    kinds = {e.data["eventTypeId"] for e in run if e.type == "booking.created"}
    view.rows(t, ReminderEventType, kinds | {row.event_type_id for row in known.values()})
    new: dict[UUID, Any] = {}
    changed: dict[UUID, Any] = {}
    fresh: dict[UUID, list[dict[str, Any]]] = {}
    dropped = Q()
    for e in run:
        booking = new.get(e.aggregate_id) or known.get(e.aggregate_id)
        if e.type == "booking.created":
            if booking is None:  # else redelivered
                event_type_id = e.data["eventTypeId"]
                planned = fresh[e.aggregate_id] = _planned(e, t, event_type_id, datetime.fromisoformat(e.data["start"]))
                new[e.aggregate_id] = model(
                    uid=e.aggregate_id,
                    event_type_id=event_type_id,
                    minutes=_lead_times(planned),
                    version=e.aggregate_version,
                )
            continue
        if booking is None or booking.version >= e.aggregate_version:
            continue  # unknown or already applied
        if e.aggregate_id not in fresh:
            dropped |= Q(booking_uid=booking.uid, minutes__in=minutes_of(booking.minutes))
        fresh[e.aggregate_id] = []
        if e.type == "booking.rescheduled":
            start = datetime.fromisoformat(e.data["toStart"])
            fresh[e.aggregate_id] = _planned(e, t, booking.event_type_id, start)
        booking.minutes, booking.version = _lead_times(fresh[e.aggregate_id]), e.aggregate_version
        if e.aggregate_id not in new:
            changed[e.aggregate_id] = booking
    reminders = t[Reminder]
    if dropped:
        reminders.objects.filter(dropped).delete()
    if rows := [reminders(**row) for planned in fresh.values() for row in planned]:
        reminders.objects.bulk_create(rows)
    if new:
        model.objects.bulk_create(new.values())
    if changed:
        model.objects.bulk_update(changed.values(), ["minutes", "version"])


class Reminders(View):
    name = "reminders"
    stores = ("sql",)  # small, and the scheduler queries it: never in Elasticsearch
    models = (ReminderEventType, ReminderBooking, Reminder)
    keeps_rows = frozenset({"booking.created", "booking.rescheduled", "booking.cancelled"})
    runs = keeps_rows

    def apply_run(self, run: list[Envelope], tables: Tables) -> None:
        _bookings(self, run, tables)

    handlers = {
        "event_type.created": _event_type_created,
        "event_type.updated": _event_type_updated,
        "booking.created": _booking_created,
        "booking.rescheduled": _booking_rescheduled,
        "booking.cancelled": _booking_cancelled,
    }
