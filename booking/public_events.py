"""Events as the outside world sees them: stable public names, camelCase fields, JSON values.

The history API and every published message (the read side, Kafka) use these shapes, never
the internal event classes, so internal refactoring never changes a public contract.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from booking.domain.ids import NAMESPACE
from booking.domain.names import public_name

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


@lru_cache(maxsize=4096)
def camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), name)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {camel(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def public_data(event: Any) -> dict[str, Any]:
    return {camel(k): _plain(v) for k, v in vars(event).items() if k not in _BOOKKEEPING}


def public_event(event: Any) -> dict[str, Any]:
    """One entry of a history: type, version, occurredAt, data."""
    return {
        "type": public_name(type(event)),
        "version": event.originator_version,
        "occurredAt": event.timestamp.isoformat(),
        "data": public_data(event),
    }


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """Stable per event: the same event always has the same id, however often it is sent."""
    return uuid5(NAMESPACE, f"event/{aggregate_id}/{version}")


def envelope(event: Any, position: int) -> dict[str, Any]:
    """The versioned public message for one stored event (schema: docs/schemas/)."""
    return {
        "eventId": str(event_id(event.originator_id, event.originator_version)),
        "position": position,
        "aggregateId": str(event.originator_id),
        "aggregateVersion": event.originator_version,
        "type": public_name(type(event)),
        "occurredAt": event.timestamp.isoformat(),
        "data": public_data(event),
    }
