"""The live projector on the embedded transport: reads the log after its position, applies the
events and moves the position in the same transaction, so a crash at any point neither loses
nor doubles an update."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction

from projections import positions
from projections.applier import TRANSIENT, Applier
from projections.sources import LogSource
from projections.views.base import View
from projections.wakeup import Wakeup

log = logging.getLogger("slotwise.projector")


@dataclass
class Projector:
    view: View
    source: LogSource
    batch_size: int = 500
    max_attempts: int = 5
    backoff: float = 0.2
    applier: Applier | None = None  # the SQL store unless another is given
    key: str = field(init=False, default="")  # the store's name for positions, offsets, dead letters

    def __post_init__(self) -> None:
        if self.applier is None:
            self.applier = Applier(self.view, self.max_attempts)
        self.key = self.applier.key

    @property
    def _applier(self) -> Applier:
        if self.applier is None:  # an explicit check: `python -O` strips asserts
            raise RuntimeError(f"the projector of {self.key} has no applier")
        return self.applier

    def step(self) -> int:
        """Applies one batch; returns how many events it moved past (0 when caught up)."""
        start = positions.current(self.key)
        batch = self.source.read(after=start, limit=self.batch_size)
        if not batch:
            return 0
        try:
            with transaction.atomic():
                if positions.lock(self.key) != start:  # serialises us with a replay's swap
                    raise positions.PositionMoved(self.key)
                applied, failed = self._applier.apply(batch)
                if applied:
                    positions.advance(self.key, start, applied[-1].position, applied[-1].occurred_at)
        except positions.PositionMoved:
            log.info("position moved under us (a replay swapped the view); reloading", extra={"view": self.key})
            return 0
        if failed is not None:
            time.sleep(self.backoff * 2 ** min(self._applier.failures(failed), 5))
        return len(applied)

    def catch_up(self) -> int:
        """Applies everything there is now; returns the number of events moved past."""
        total = 0
        while True:
            moved = self.step()
            total += moved
            if not moved and positions.current(self.key) >= self.source.head():
                return total

    def run_forever(self, stop: threading.Event, wakeup: Wakeup | None = None) -> None:
        follow([self], stop, wakeup)


class Follower(Protocol):
    """Anything that moves along the log a page at a time: a view's projector, the dispatcher."""

    key: str
    source: LogSource

    def step(self) -> int: ...


def follow(followers: Sequence[Follower], stop: threading.Event, wakeup: Wakeup | None = None) -> None:
    """Keeps several log followers going from one process and one thread, until `stop` is set:
    each is stepped in turn until none moves, then the thread sleeps until the next append.

    A store that is away is waited out; anything else one follower raises is logged with its
    traceback and tried again a second later, without holding up the others."""
    if not followers:
        return
    shared = followers[0].source
    wakeup = wakeup or Wakeup(shared.app.recorder)
    with wakeup:
        while not stop.is_set():
            wakeup.listen()
            moved = 0
            with shared.sharing_pages():  # the views, usually at one position, read one page once
                for follower in followers:
                    try:
                        moved += follower.step()
                    except TRANSIENT as error:  # the store is away: wait for it, lose nothing
                        log.warning("store unavailable; retrying", extra={"view": follower.key, "error": repr(error)})
                        stop.wait(1.0)
                    except Exception:  # a broker away, a bug: this follower stays where it was
                        log.exception("log follower failed; retrying", extra={"view": follower.key})
                        stop.wait(1.0)
            if moved:
                wakeup.busy()
            else:
                wakeup.wait(stop)
