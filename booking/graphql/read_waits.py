"""`minPosition` in GraphQL: a request waits for the views once, however many fields ask.

Each field of a document may ask for a position (five aliases of `agenda(minPosition: ...)`).
Waiting per field held a thread for five times the bound; instead the request keeps one
deadline, set by its first wait, and every later field waits only for what is left of it. A
position the views have already reached for this request is not looked up again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from booking import inputs
from booking.graphql.errors import refusal
from projections import reads
from projections.read_waits import TooManyWaiting


@dataclass
class ReadWaits:
    """One request's waiting: when it must stop, and how far each set of views was seen to be."""

    deadline: float | None = None
    reached: dict[tuple[str, ...], int] = field(default_factory=dict)

    def remaining(self) -> float:
        """Seconds this request may still wait; the first call starts the clock."""
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + settings.SLOTWISE_READ_WAIT_SECONDS
        return max(0.0, self.deadline - now)


def caught_up(waits: ReadWaits, views: tuple[str, ...], asked: int | None) -> None:
    """Returns once `views` have applied the position `asked` (REST's rule: `inputs.position`);
    refuses with not_caught_up after the request's deadline, or too_many_waiting when this
    process has enough waiting reads."""
    position = inputs.position(asked)
    if position is None:
        return
    if waits.reached.get(views, -1) >= position:
        return
    try:
        reached = reads.caught_up(views, position, waits.remaining())
    except TooManyWaiting as busy:
        raise refusal("too_many_waiting", f"{busy}; retry shortly", retryAfter=busy.retry_after) from None
    if not reached:
        raise refusal("not_caught_up", f"the views have not reached position {position} yet; retry", retryAfter=1)
    waits.reached[views] = position
