"""The dispatcher: follows the event log like a projector and records what each event asks of
the outside world (one ledger row per handler and target), then hands the due work to Celery.

Recording is idempotent (a side effect is keyed by event id + handler + target) and happens in
the transaction that moves the dispatcher's position, so a crash loses nothing and records
nothing twice. Enqueueing happens after commit; a row is sent again when its next attempt falls
due (retry policy), or when it was sent long ago and is still not done and not held (a broker
that lost the message, a worker that died). Tasks claim their row first, so a second delivery
does nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from projections import positions
from projections.envelope import Envelope
from projections.projector import follow
from projections.sources import LogSource
from projections.wakeup import Wakeup
from providers.models import SideEffect
from providers.registry import HANDLERS

log = logging.getLogger("slotwise.dispatcher")
NAME = "side-effects"
EVENTS = tuple(sorted({name for handler in HANDLERS.values() for name in handler.events}))
RETRY_LOOK = 1.0  # seconds: how often an idle dispatcher looks for retries falling due
BATCH = 20  # rows per message for handlers that take batches: enough to share, small enough to spread


@dataclass
class Dispatcher:
    source: LogSource
    batch_size: int = 500
    key: str = NAME  # its position's name (projections.projector.Follower)

    def step(self) -> int:
        """Records the side effects of one batch of events; returns how many log positions it moved past."""
        start = positions.current(NAME)
        # Everything up to the head is committed (the store's insert lock makes commit order id
        # order), so a page that does not fill up has seen all there is: the position moves to
        # the head, past the events no handler wants, and shows the dispatcher caught up.
        head = self.source.head()
        moved = 0
        if head > start:
            batch = self.source.read(after=start, limit=self.batch_size, types=EVENTS, stop=head)
            end = batch[-1].position if len(batch) == self.batch_size else head
            with transaction.atomic():
                if positions.lock(NAME) != start:
                    return 0
                cache: dict[str, Any] = {}  # handlers' lookups, shared across this batch
                for handler in HANDLERS.values():
                    if handler.prepare is not None:
                        handler.prepare([event for event in batch if event.type in handler.events], cache)
                rows = [row for event in batch for row in self._rows(event, cache)]
                # one insert for the batch; a row recorded before (a replayed batch) stays as it is
                SideEffect.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
                positions.advance(NAME, start, end, batch[-1].occurred_at if batch else None)
            moved = end - start
        self.publish()
        return moved

    def _rows(self, event: Envelope, cache: dict[str, Any]) -> list[SideEffect]:
        return [
            SideEffect(
                key=f"{event.event_id}/{handler.name}/{target}",
                handler=handler.name,
                target=target,
                event_id=event.event_id,
                aggregate_id=event.aggregate_id,
                position=event.position,
            )
            for handler in HANDLERS.values()
            if event.type in handler.events
            for target in handler.targets(event, cache)
        ]

    def publish(self, limit: int = 1000) -> int:
        """Sends pending side effects that are due and were never sent, or sent too long ago."""
        from booking.celery import app

        now = timezone.now()
        stale = now - timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS)
        unsent = (
            SideEffect.objects.filter(state=SideEffect.PENDING)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        )
        due = list(unsent.order_by("position", "id")[:limit])
        chunks: dict[str, list[int]] = {}
        for effect in due:
            handler = HANDLERS[effect.handler]
            if handler.batch_task is None:
                app.send_task(handler.task, args=[effect.id])
                continue
            chunk = chunks.setdefault(handler.batch_task, [])
            chunk.append(effect.id)
            if len(chunk) == BATCH:
                app.send_task(handler.batch_task, args=[chunks.pop(handler.batch_task)])
        for batch_task, ids in chunks.items():
            app.send_task(batch_task, args=[ids])
        if due:
            # One write for the batch, to the rows still as they were read: a worker may already
            # have run a message sent above and scheduled a retry (enqueued_at cleared, not_before
            # ahead) or claimed the row; marking that row sent would leave the retry unsent until
            # the requeue time. A row sent but not marked is only sent again (harmless).
            unsent.filter(id__in=[effect.id for effect in due]).update(enqueued_at=timezone.now())
        return len(due)

    def run_forever(self, stop: threading.Event, wakeup: Wakeup | None = None) -> None:
        """Follows the log until `stop` is set, sleeping until the next append when caught up
        (and at most `wakeup.fallback` seconds, so retries fall due on time)."""
        follow([self], stop, wakeup or Wakeup(self.source.app.recorder, fallback=RETRY_LOOK))
