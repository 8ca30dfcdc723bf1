"""The tenant: owns hosts; its API keys live outside the event store (they are credentials)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain import ids


class Organisation(Aggregate):
    @staticmethod
    def create_id(slug: str, **_: Any) -> UUID:
        return ids.organisation_id(slug)

    @event("Registered")
    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.host_ids: list[UUID] = []

    @event("HostAdded")
    def add_host(self, host_id: UUID) -> None:
        self.host_ids.append(host_id)
