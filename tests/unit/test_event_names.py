"""Every event has a stable public name, and the catalogue in docs/ lists each one."""

from __future__ import annotations

import inspect
from pathlib import Path

from eventsourcing.domain import Aggregate

from booking.domain.booking import Booking
from booking.domain.calendar import CalendarDay
from booking.domain.event_type import EventType, EventTypeRegistry
from booking.domain.host import Host
from booking.domain.idempotency import IdempotencyRecord
from booking.domain.names import PUBLIC_NAMES
from booking.domain.organisation import Organisation

AGGREGATES = (Organisation, Host, EventType, EventTypeRegistry, Booking, CalendarDay, IdempotencyRecord)
CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _event_classes() -> set[type]:
    """The events each aggregate records (the library's own bases carry no fields of their own)."""
    return {
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and inspect.get_annotations(value)
    }


def test_every_event_class_has_a_public_name() -> None:
    assert _event_classes() == set(PUBLIC_NAMES)


def test_public_names_are_unique_and_dotted() -> None:
    names = list(PUBLIC_NAMES.values())
    assert len(names) == len(set(names))
    assert all(name.count(".") == 1 and name == name.lower() for name in names)


def test_the_catalogue_lists_every_public_name() -> None:
    text = CATALOGUE.read_text()
    assert [n for n in PUBLIC_NAMES.values() if f"`{n}`" not in text] == []
