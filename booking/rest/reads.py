"""Reads from the views: read-your-writes through `minPosition`, bounded waiting."""

from __future__ import annotations

import re

from django.http import HttpRequest

from booking.domain.errors import InvalidValue
from projections import reads

POSITION = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also accepts '²', which int() refuses


class ViewBehind(Exception):
    """The views have not caught up with the position the client asked for."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def caught_up(request: HttpRequest, views: tuple[str, ...]) -> None:
    """Waits until `views` have applied `minPosition` (when given), else raises ViewBehind.

    One wait per request, of at most SLOTWISE_READ_WAIT_SECONDS; raises TooManyWaiting at once
    when SLOTWISE_MAX_WAITING_READS requests of this process are already waiting."""
    raw = request.GET.get("minPosition")
    if raw is None:
        return
    if POSITION.fullmatch(raw) is None:
        raise InvalidValue.single("minPosition", "must be a whole number (a meta.position from a write)")
    position = int(raw)
    if not reads.caught_up(views, position):
        raise ViewBehind(position)
