"""The live projector: reads events after its position, applies them, and moves the position in
the same transaction, so a crash at any point neither loses nor doubles an update.

A failing event is retried with backoff; after `max_attempts` it is written to the dead-letter
table (in the transaction that moves past it) and the projector goes on. Database outages are
not the event's fault: they are waited out and never dead-letter anything.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import InterfaceError, OperationalError, transaction

from projections import positions
from projections.envelope import Envelope
from projections.models import DeadLetter
from projections.sources import LogSource
from projections.views.base import View

log = logging.getLogger("slotwise.projector")
TRANSIENT = (OperationalError, InterfaceError)


@dataclass
class Projector:
    view: View
    source: LogSource
    batch_size: int = 500
    max_attempts: int = 5
    backoff: float = 0.2
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def tables(self) -> dict[type, type]:
        return {model: model for model in self.view.models}

    def step(self) -> int:
        """Applies one batch; returns how many events it moved past (0 when caught up)."""
        start = positions.current(self.view.name)
        batch = self.source.read(after=start, limit=self.batch_size)
        if not batch:
            return 0
        try:
            with transaction.atomic():
                applied, failed = self._apply(batch)
                if applied:
                    positions.advance(self.view.name, start, applied[-1].position, applied[-1].occurred_at)
        except positions.PositionMoved:
            log.info("position moved under us (a replay swapped the view); reloading", extra={"view": self.view.name})
            return 0
        if failed is not None:
            log.warning(
                "event failed; will retry",
                extra={"view": self.view.name, "position": failed.position, "eventType": failed.type},
            )
            time.sleep(self.backoff * 2 ** min(self.attempts.get(str(failed.event_id), 0), 5))
        return len(applied)

    def _apply(self, batch: list[Envelope]) -> tuple[list[Envelope], Envelope | None]:
        """Applies events in order until one fails; returns those moved past and the failed one."""
        applied: list[Envelope] = []
        for event in batch:
            try:
                with transaction.atomic():  # a savepoint: a failed event leaves no partial rows
                    self.view.apply(event, self.tables)
            except TRANSIENT:
                raise
            except Exception as error:  # an event this view cannot apply: count it
                if not self._give_up(event, error):
                    return applied, event
            applied.append(event)
        return applied, None

    def _give_up(self, event: Envelope, error: Exception) -> bool:
        """Counts a failure; on the last allowed one, dead-letters the event (same transaction)."""
        key = str(event.event_id)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if self.attempts[key] < self.max_attempts:
            return False
        DeadLetter.objects.get_or_create(
            projection=self.view.name,
            event_id=event.event_id,
            defaults={
                "position": event.position,
                "event_type": event.type,
                "aggregate_id": event.aggregate_id,
                "attempts": self.attempts[key],
                "error": repr(error),
            },
        )
        log.error(
            "event dead-lettered",
            extra={"view": self.view.name, "position": event.position, "eventType": event.type, "error": repr(error)},
        )
        del self.attempts[key]
        return True

    def catch_up(self) -> int:
        """Applies everything there is now; returns the number of events moved past."""
        total = 0
        while True:
            moved = self.step()
            total += moved
            if not moved and positions.current(self.view.name) >= self.source.head():
                return total

    def run_forever(self, stop: threading.Event, idle: float = 0.1) -> None:
        while not stop.is_set():
            try:
                moved = self.step()
            except TRANSIENT as error:  # the store is away: wait for it, lose nothing
                log.warning("store unavailable; retrying", extra={"view": self.view.name, "error": repr(error)})
                stop.wait(1.0)
                continue
            if not moved:
                stop.wait(idle)
