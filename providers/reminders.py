"""Reminder emails: each scheduler tick records the reminders now due (from the reminders view)
in the side-effect ledger and hands them to workers; a worker sends one with the invitation.

Exactly once, as for every side effect: a reminder's ledger key is its id (unique), so two
ticks or two schedulers record it once; the enqueue is a compare-and-set on `enqueued_at`, so
of two ticks one sends the message; the worker claims the row with a lease and finishes it right
after the mail server accepted the message. A worker killed mid-send lets the lease run out and
a later tick sends it again (the same Message-ID).

A reminder goes out from its due time until `SLOTWISE_REMINDER_GRACE_MINUTES` later, and never
once the meeting has begun; one withdrawn meanwhile (booking moved or cancelled, lead time
switched off in the event type) is finished without sending.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.booking import CANCELLED
from booking.domain.event_type import reminders_of
from projections.envelope import Envelope
from projections.models import Reminder
from providers.effects import Handler, RetryPolicy
from providers.email import Outbox, composing
from providers.email_cap import ensure_under_cap
from providers.letters import Meeting, letter
from providers.models import SideEffect

Send = Callable[[str, int], None]  # (task name, ledger row id)
CHUNK = 500


def no_targets(event: Envelope, cache: dict[str, Any]) -> Iterable[str]:
    return ()  # recorded by the scheduler's tick, not by the dispatcher


HANDLER = Handler(
    name="email.reminder",
    task="slotwise.notifications.send_reminder",
    events=(),
    targets=no_targets,
    policy=RetryPolicy(base=5.0, cap=120.0, max_attempts=10),  # the meeting will not wait for more
)


def key_of(reminder_id: Any) -> str:
    return f"{reminder_id}/{HANDLER.name}/attendee"


def tick(now: datetime | None = None, send: Send | None = None) -> int:
    """One scheduler tick: records what is due at `now`, then enqueues it; returns how many it sent."""
    record_due(now or timezone.now())
    return publish(send or _celery)


def record_due(now: datetime) -> int:
    """Ledger rows for the reminders due at `now`; returns how many were new."""
    grace = timedelta(minutes=settings.SLOTWISE_REMINDER_GRACE_MINUTES)
    due = Reminder.objects.filter(due_at__lte=now, due_at__gt=now - grace, start__gt=now).order_by("due_at", "id")
    made = 0
    for chunk in _chunks(list(due)):
        wanted = {key_of(r.id): r for r in chunk}
        known = set(SideEffect.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
        fresh = [
            SideEffect(
                key=key,
                handler=HANDLER.name,
                target="attendee",
                event_id=r.event_id,
                aggregate_id=r.booking_uid,
                position=r.position,
            )
            for key, r in wanted.items()
            if key not in known
        ]
        SideEffect.objects.bulk_create(fresh, ignore_conflicts=True)  # a concurrent tick may win some
        made += len(fresh)
    return made


def publish(send: Send, limit: int = 1000) -> int:
    """Enqueues reminders never sent, or sent long ago and neither done nor held (a lost message,
    a worker that died): the same rule as the dispatcher's, for this handler's rows."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS)
    ready = (
        SideEffect.objects.filter(handler=HANDLER.name, state=SideEffect.PENDING)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )
    wanted = list(ready.order_by("position", "id").values_list("id", flat=True)[:limit])
    if not wanted:
        return 0
    # One compare-and-set for the batch: the UPDATE re-checks each row, so of two ticks (or two
    # schedulers) one marks it; the rows carrying this tick's mark are the ones it sends. One
    # statement, not one per row: on SQLite every write makes the workers' writes wait.
    mark = now + timedelta(microseconds=secrets.randbelow(1000))
    ready.filter(id__in=wanted).update(enqueued_at=mark)
    mine = SideEffect.objects.filter(id__in=wanted, enqueued_at=mark).order_by("position", "id")
    sent = list(mine.values_list("id", flat=True))
    for effect_id in sent:
        send(HANDLER.task, effect_id)
    return len(sent)


def run(effect: SideEffect, outbox: Outbox) -> str:
    """The task's work: one reminder, if it still stands."""
    reminder_id = effect.key.partition("/")[0]
    reminder = Reminder.objects.filter(id=reminder_id).first()
    if reminder is None:
        return "withdrawn: the booking moved or was cancelled"
    app = get_app()
    booking = app.booking(effect.aggregate_id)
    if booking.status == CANCELLED or booking.start != reminder.start:
        return "withdrawn: the booking moved or was cancelled"
    if timezone.now() >= booking.start:
        return "too late: the meeting has begun"
    if reminder.minutes not in reminders_of(app.event_type(booking.event_type_id).settings):
        return "withdrawn: the event type no longer has this reminder"
    meeting = Meeting.of(booking)
    ensure_under_cap(effect, meeting.attendee.email)
    with composing():
        invitation = letter(meeting, "attendee", "reminder", local_id=f"reminder.{reminder_id}", lead=reminder.minutes)
    outbox.send(invitation)
    return "sent"


def _celery(task: str, effect_id: int) -> None:
    from booking.celery import app

    app.send_task(task, args=[effect_id])


def _chunks(rows: list[Reminder]) -> Iterable[list[Reminder]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]
