"""The views' read API for the rest of Slotwise, from whichever store serves reads
(`SLOTWISE_READ_STORE`: sql, the default, or elasticsearch)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings

from booking.domain.availability import Reservation
from projections import selectors
from projections.elastic import selectors as es_selectors
from projections.elastic.client import client
from projections.models import AgendaEntry


def _elasticsearch() -> bool:
    return bool(settings.SLOTWISE_READ_STORE == "elasticsearch")


def position_key(view: str) -> str:
    """The name the serving store keeps a view's position under."""
    return f"{view}@elasticsearch" if _elasticsearch() else view


def agenda_for(organisation_id: UUID, **filters: Any) -> tuple[list[AgendaEntry], str | None]:
    if _elasticsearch():
        return es_selectors.agenda_for(client(), organisation_id, **filters)
    return selectors.agenda_for(organisation_id, **filters)


def agenda_stats(organisation_id: UUID, group_by: str, **filters: Any) -> list[dict[str, Any]]:
    if _elasticsearch():
        return es_selectors.agenda_stats(client(), organisation_id, group_by, **filters)
    return selectors.agenda_stats(organisation_id, group_by, **filters)


def holds(host_id: UUID, dates: list[date]) -> list[Reservation]:
    if _elasticsearch():
        return es_selectors.holds(client(), host_id, dates)
    return selectors.holds(host_id, dates)
