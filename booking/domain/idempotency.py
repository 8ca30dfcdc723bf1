"""The first outcome of an idempotent request, saved atomically with the work it did.

Its id is derived from (scope, key): a concurrent duplicate collides on it, reloads and
answers with the first outcome, so one key can never make two bookings.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain import ids
from booking.domain.errors import IdempotencyKeyReused


class IdempotencyRecord(Aggregate):
    @staticmethod
    def create_id(scope: str, key: str, **_: Any) -> UUID:
        return ids.idempotency_record_id(scope, key)

    @event("Recorded")
    def __init__(
        self, scope: str, key: str, fingerprint: str, outcome: str, resource_id: UUID, resource_version: int
    ) -> None:
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.outcome = outcome
        self.resource_id = resource_id
        self.resource_version = resource_version

    def ensure_same_request(self, fingerprint: str) -> None:
        if fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request", "Idempotency-Key"
            )
