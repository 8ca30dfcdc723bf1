"""How far behind each view is: in events, in seconds, and what it gave up on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.application import Slotwise
from projections.models import DeadLetter, ProjectionPosition
from projections.relay import RELAY
from projections.views import VIEWS


@dataclass(frozen=True)
class ViewStatus:
    name: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float | None
    dead_letters: int


def view_statuses(app: Slotwise, now: datetime) -> list[ViewStatus]:
    """Every view, and the Kafka relay once it has run (its lag is the transport's)."""
    head = app.recorder.max_notification_id() or 0
    head_at = _occurred_at(app, head)
    rows = {row.name: row for row in ProjectionPosition.objects.all()}
    statuses = []
    searched = [f"{view}@elasticsearch" for view in sorted(VIEWS) if f"{view}@elasticsearch" in rows]
    for name in [*sorted(VIEWS), *searched, *([RELAY] if RELAY in rows else [])]:
        row = rows.get(name)
        position = row.position if row else 0
        lag_seconds = None
        if position >= head:
            lag_seconds = 0.0
        elif head_at is not None:
            # how long the oldest event it has not applied has been waiting
            waiting_since = _occurred_at(app, position + 1) or head_at
            lag_seconds = max((now - waiting_since).total_seconds(), 0.0)
        statuses.append(
            ViewStatus(
                name,
                position,
                head,
                max(head - position, 0),
                lag_seconds,
                DeadLetter.objects.filter(projection=name).count(),
            )
        )
    return statuses


def _occurred_at(app: Slotwise, position: int) -> datetime | None:
    if position <= 0:
        return None
    found = app.recorder.select_notifications(start=position, limit=1)
    if not found:
        return None
    occurred: datetime = getattr(app.mapper.to_domain_event(found[0]), "timestamp")  # noqa: B009
    return occurred
