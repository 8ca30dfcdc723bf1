"""Reads from the views: read-your-writes through `minPosition`, bounded waiting."""

from __future__ import annotations

from typing import Annotated

from ninja.params.functions import Query

from booking import inputs
from booking.rest.schemas import shown
from projections import reads

# The `minPosition` parameter of every read of the views
MinPosition = Annotated[str, shown(pattern=inputs.POSITION_PATTERN)] | None
MIN_POSITION = Query(None, description="a meta.position from a write: wait (briefly) until the views have applied it")


class ViewBehind(Exception):
    """The views have not caught up with the position the client asked for."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def caught_up(raw: str | None, views: tuple[str, ...]) -> None:
    """Waits until `views` have applied `minPosition` (when given), else raises ViewBehind.

    One wait per request, of at most SLOTWISE_READ_WAIT_SECONDS; raises TooManyWaiting at once
    when SLOTWISE_MAX_WAITING_READS requests of this process are already waiting."""
    position = inputs.position(raw)
    if position is None:
        return
    if not reads.caught_up(views, position):
        raise ViewBehind(position)
