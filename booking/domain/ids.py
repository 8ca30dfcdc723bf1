"""Deterministic aggregate ids: uniqueness rules become collisions on (id, version)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0f7d0e-6c55-4f57-9a43-1f2a4c0f3e11")


def organisation_id(slug: str) -> UUID:
    return uuid5(NAMESPACE, f"organisation/{slug}")


def calendar_day_id(host_id: UUID, local_date: date) -> UUID:
    return uuid5(NAMESPACE, f"calendar-day/{host_id}/{local_date.isoformat()}")


def event_type_registry_id(host_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"event-type-registry/{host_id}")


def idempotency_record_id(scope: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"idempotency/{scope}/{key}")
