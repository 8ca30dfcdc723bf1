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


def _plan(e: Envelope, t: Tables, event_type_id: Any, start: datetime) -> str:
    """Rows for the lead times still ahead when `e` happened; returns those lead times."""
    kind = View.row(t, ReminderEventType, event_type_id, required=False)
    planned = []
    for minutes in minutes_of(kind.minutes) if kind is not None else DEFAULT_REMINDERS:
        due_at = start - timedelta(minutes=minutes)
        if due_at <= e.occurred_at:
            continue  # already due: never sent late
        t[Reminder].objects.create(
            id=reminder_id(e.aggregate_id, minutes, due_at),
            booking_uid=e.aggregate_id,
            minutes=minutes,
            due_at=due_at,
            start=start,
            event_id=e.event_id,
            position=e.position,
        )
        planned.append(minutes)
    return _text(planned)


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


class Reminders(View):
    name = "reminders"
    stores = ("sql",)  # small, and the scheduler queries it: never in Elasticsearch
    models = (ReminderEventType, ReminderBooking, Reminder)
    keeps_rows = frozenset({"booking.created", "booking.rescheduled", "booking.cancelled"})
    handlers = {
        "event_type.created": _event_type_created,
        "event_type.updated": _event_type_updated,
        "booking.created": _booking_created,
        "booking.rescheduled": _booking_rescheduled,
        "booking.cancelled": _booking_cancelled,
    }
