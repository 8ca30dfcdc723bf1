"""The public event message, as the read side receives it (from the log or from Kafka)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Envelope:
    event_id: UUID
    position: int
    aggregate_id: UUID
    aggregate_version: int
    type: str
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Envelope:
        return cls(
            event_id=UUID(message["eventId"]),
            position=int(message["position"]),
            aggregate_id=UUID(message["aggregateId"]),
            aggregate_version=int(message["aggregateVersion"]),
            type=message["type"],
            occurred_at=datetime.fromisoformat(message["occurredAt"]),
            data=message["data"],
        )
