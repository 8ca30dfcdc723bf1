"""Reads from the views: read-your-writes through `minPosition`, bounded waiting."""

from __future__ import annotations

from django.http import HttpRequest

from booking.domain.errors import InvalidValue
from projections import reads


class ViewBehind(Exception):
    """The views have not caught up with the position the client asked for."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def caught_up(request: HttpRequest, views: tuple[str, ...], timeout: float = 2.0) -> None:
    """Waits until `views` have applied `minPosition` (when given), else raises ViewBehind."""
    raw = request.GET.get("minPosition")
    if raw is None:
        return
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidValue.single("minPosition", "must be a whole number (a meta.position from a write)")
    position = int(raw)
    if not reads.caught_up(views, position, timeout):
        raise ViewBehind(position)
