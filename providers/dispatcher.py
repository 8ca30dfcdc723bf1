"""The dispatcher: follows the event log like a projector and records what each booking event
asks of the outside world, then hands the pending work to Celery.

Recording is idempotent (a side effect is keyed by event id + handler + target) and happens in
the transaction that moves the dispatcher's position, so a crash loses nothing and records
nothing twice. Enqueueing happens after commit; anything pending that was not enqueued, or was
enqueued long ago and is still not done (a broker that lost it, a worker that died), is sent
again. Tasks are idempotent, so a second delivery does nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from booking.bootstrap import get_app
from projections import positions
from projections.envelope import Envelope
from projections.sources import LogSource
from providers.models import CalendarAccount, SideEffect

log = logging.getLogger("slotwise.dispatcher")
NAME = "side-effects"
BOOKING_EVENTS = ("booking.created", "booking.rescheduled", "booking.cancelled")
CALENDAR_SYNC = "calendar.sync"
TASKS = {CALENDAR_SYNC: "slotwise.providers.sync_booking_to_calendar"}


@dataclass
class Dispatcher:
    source: LogSource
    batch_size: int = 500

    def step(self) -> int:
        """Records the side effects of one batch of events; returns how many events it read."""
        start = positions.current(NAME)
        batch = self.source.read(after=start, limit=self.batch_size, types=BOOKING_EVENTS)
        if batch:
            with transaction.atomic():
                if positions.lock(NAME) != start:
                    return 0
                accounts: dict[UUID, list[CalendarAccount]] = {}  # per host, for this batch
                for event in batch:
                    self._record(event, accounts)
                positions.advance(NAME, start, batch[-1].position, batch[-1].occurred_at)
        self.publish()
        return len(batch)

    def _record(self, event: Envelope, accounts: dict[UUID, list[CalendarAccount]]) -> None:
        host_id = (
            UUID(event.data["hostId"]) if "hostId" in event.data else get_app().booking(event.aggregate_id).host_id
        )
        if host_id not in accounts:
            accounts[host_id] = list(CalendarAccount.objects.filter(host_id=host_id, disconnected_at__isnull=True))
        for account in accounts[host_id]:
            SideEffect.objects.get_or_create(
                key=f"{event.event_id}/{CALENDAR_SYNC}/{account.id}",
                defaults={
                    "handler": CALENDAR_SYNC,
                    "target": str(account.id),
                    "event_id": event.event_id,
                    "aggregate_id": event.aggregate_id,
                    "position": event.position,
                },
            )

    def publish(self, limit: int = 1000) -> int:
        """Sends pending side effects that were never sent, or were sent too long ago."""
        from booking.celery import app

        stale = timezone.now() - timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS)
        due = list(
            SideEffect.objects.filter(state=SideEffect.PENDING)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .order_by("position", "id")[:limit]
        )
        for effect in due:
            app.send_task(TASKS[effect.handler], args=[effect.id])
            SideEffect.objects.filter(id=effect.id).update(enqueued_at=timezone.now())
        return len(due)

    def run_forever(self, stop: threading.Event, idle: float = 0.05) -> None:
        while not stop.is_set():
            try:
                moved = self.step()
            except Exception:  # the store or broker is away: wait for it, lose nothing
                log.exception("dispatch failed; retrying")
                stop.wait(1.0)
                continue
            if not moved:
                stop.wait(idle)
