"""Applying events to a view, whatever carried them: a failing event is counted, and after
`max_attempts` it is dead-lettered (in the caller's transaction) so the view can go on.

Database outages are not the event's fault: they propagate, to be waited out, and never
dead-letter anything."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from django.db import InterfaceError, OperationalError, transaction

from projections.envelope import Envelope
from projections.models import DeadLetter
from projections.views.base import Tables, View, remembering

log = logging.getLogger("slotwise.projector")


class StoreUnavailable(Exception):
    """The view's store did not take a write (down, overloaded): retry later, blame no event."""


TRANSIENT = (OperationalError, InterfaceError, StoreUnavailable)


@dataclass
class Applier:
    """The SQL store: rows written in the caller's transaction (with the position)."""

    view: View
    max_attempts: int = 5
    attempts: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The name positions, offsets and dead letters are kept under."""
        return self.view.name

    @cached_property
    def live_tables(self) -> Tables:
        return {model: model for model in self.view.models}

    def apply(self, batch: list[Envelope]) -> tuple[list[Envelope], Envelope | None]:
        """Applies events in order until one fails; returns those moved past and the failed one.

        Call inside a transaction. The batch is tried whole under one savepoint (runs of events
        in bulk statements, `View.apply_all`); only when an event in it fails is it applied again
        one savepoint per event, so a failure leaves no partial rows and the events before it
        stay applied.
        """
        try:
            with transaction.atomic(), remembering():
                self.view.apply_all(batch, self.live_tables)
            return list(batch), None
        except TRANSIENT:
            raise
        except Exception:  # noqa: S110  # nosec B110  # - found and counted event by event below
            pass
        applied: list[Envelope] = []
        for event in batch:
            try:
                with transaction.atomic():
                    self.view.apply(event, self.live_tables)
            except TRANSIENT:
                raise
            except Exception as error:  # an event this view cannot apply: count it
                if not self._give_up(event, error):
                    return applied, event
            applied.append(event)
        return applied, None

    def failures(self, event: Envelope) -> int:
        return self.attempts.get(str(event.event_id), 0)

    def _give_up(self, event: Envelope, error: Exception) -> bool:
        key = str(event.event_id)
        self.attempts[key] = self.attempts.get(key, 0) + 1
        context = {
            "view": self.key,
            "position": event.position,
            "eventType": event.type,
            "attempt": self.attempts[key],
            "error": repr(error),
        }
        if self.attempts[key] < self.max_attempts:
            log.warning("event failed; will retry", extra=context)
            return False
        DeadLetter.objects.get_or_create(
            projection=self.key,
            event_id=event.event_id,
            defaults={
                "position": event.position,
                "event_type": event.type,
                "aggregate_id": event.aggregate_id,
                "attempts": self.attempts[key],
                "error": repr(error),
            },
        )
        log.error("event dead-lettered", extra=context)
        del self.attempts[key]
        return True
