"""The public event message, as the read side receives it (from the log or from Kafka)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from booking.domain.names import public_name
from booking.public_events import event_id, public_data


@dataclass(frozen=True)
class Envelope:
    position: int
    aggregate_id: UUID
    aggregate_version: int
    type: str
    occurred_at: datetime
    payload: dict[str, Any] | None = None
    # from the log: the stored event itself, turned into public data only if a view asks
    source: Any = field(default=None, compare=False, repr=False)

    @property
    def data(self) -> dict[str, Any]:
        if self.payload is not None:
            return self.payload
        payload = public_data(self.source)
        object.__setattr__(self, "payload", payload)
        return payload

    @property
    def event_id(self) -> UUID:
        """Derived, as the publisher derives it: the same event always has the same id."""
        return event_id(self.aggregate_id, self.aggregate_version)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Envelope:
        return cls(
            position=int(message["position"]),
            aggregate_id=UUID(message["aggregateId"]),
            aggregate_version=int(message["aggregateVersion"]),
            type=message["type"],
            occurred_at=datetime.fromisoformat(message["occurredAt"]),
            payload=message["data"],
        )

    @classmethod
    def of(cls, event: Any, position: int) -> Envelope:
        """Straight from a stored event (the log transport), without a JSON round trip."""
        return cls(
            position=position,
            aggregate_id=event.originator_id,
            aggregate_version=event.originator_version,
            type=public_name(type(event)),
            occurred_at=event.timestamp,
            source=event,
        )
