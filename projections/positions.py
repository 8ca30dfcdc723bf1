"""Each view's read position, moved only in the transaction that wrote its rows."""

from __future__ import annotations

from datetime import datetime

from projections.models import ProjectionPosition


class PositionMoved(Exception):
    """Someone else (a replay's swap) moved the position; reload it and carry on from there."""


def current(name: str) -> int:
    found = ProjectionPosition.objects.filter(name=name).values_list("position", flat=True).first()
    if found is None:  # a reader's first look: its row is made at 0
        found = ProjectionPosition.objects.get_or_create(name=name)[0].position
    return int(found)


def advance(name: str, expected: int, position: int, last_event_at: datetime | None) -> None:
    """Compare-and-set: call inside the transaction that applied the events up to `position`
    (`last_event_at`: when the last of them happened; None when none of them was applied)."""
    changes: dict[str, object] = {"position": position}
    if last_event_at is not None:
        changes["last_event_at"] = last_event_at
    moved = ProjectionPosition.objects.filter(name=name, position=expected).update(**changes)
    if moved != 1:
        raise PositionMoved(name)


def reset(name: str, position: int, last_event_at: datetime | None) -> None:
    defaults: dict[str, object] = {"position": position}
    if last_event_at is not None:
        defaults["last_event_at"] = last_event_at
    ProjectionPosition.objects.update_or_create(name=name, defaults=defaults)


def lock(name: str) -> int:
    """Locks a view's position row for this transaction and returns the position."""
    locked = ProjectionPosition.objects.select_for_update().filter(name=name).values_list("position", flat=True)
    found = locked.first()
    if found is None:
        ProjectionPosition.objects.get_or_create(name=name)
        found = locked.first()
    return int(found)
