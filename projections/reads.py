"""The views' read API for the rest of Slotwise, from whichever store serves reads
(`SLOTWISE_READ_STORE`: sql, the default, or elasticsearch)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings

from booking.domain.availability import Reservation
from projections import read_waits, selectors
from projections.elastic import selectors as es_selectors
from projections.elastic.client import client
from projections.models import AgendaEntry, AgendaEventType, AgendaHost


def _elasticsearch() -> bool:
    return bool(settings.SLOTWISE_READ_STORE == "elasticsearch")


def position_key(view: str) -> str:
    """The name the serving store keeps a view's position under."""
    return f"{view}@elasticsearch" if _elasticsearch() else view


def caught_up(views: tuple[str, ...], position: int, timeout: float | None = None) -> bool:
    """Read-your-writes: waits (at most `timeout`, SLOTWISE_READ_WAIT_SECONDS by default) until
    the serving store's views have applied `position`. Views already there answer at once; a
    read that would wait while SLOTWISE_MAX_WAITING_READS others do raises TooManyWaiting."""
    names = [position_key(v) for v in views]
    if selectors.wait_for(names, position, 0):
        return True
    wait = settings.SLOTWISE_READ_WAIT_SECONDS if timeout is None else timeout
    if wait <= 0:
        return False
    with read_waits.slot(settings.SLOTWISE_MAX_WAITING_READS):
        return selectors.wait_for(names, position, wait)


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


def hosts_by_ids(ids: list[UUID]) -> dict[UUID, AgendaHost]:
    if _elasticsearch():
        return es_selectors.hosts_by_ids(client(), ids)
    return selectors.hosts_by_ids(ids)


def event_types_by_ids(ids: list[UUID]) -> dict[UUID, AgendaEventType]:
    if _elasticsearch():
        return es_selectors.event_types_by_ids(client(), ids)
    return selectors.event_types_by_ids(ids)


def event_types_by_hosts(host_ids: list[UUID], limit: int) -> dict[UUID, list[AgendaEventType]]:
    if _elasticsearch():
        return es_selectors.event_types_by_hosts(client(), host_ids, limit)
    return selectors.event_types_by_hosts(host_ids, limit)


def reminders_by_event_types(ids: list[UUID]) -> dict[UUID, list[int]]:
    """From SQL whatever the read store: the reminders view is a small table kept there."""
    return selectors.reminders_by_event_types(ids)


def entries_by_uids(uids: list[UUID]) -> dict[UUID, AgendaEntry]:
    if _elasticsearch():
        return es_selectors.entries_by_uids(client(), uids)
    return selectors.entries_by_uids(uids)


def entries_by_attendees(organisation_id: UUID, emails: list[str], limit: int) -> dict[str, list[AgendaEntry]]:
    if _elasticsearch():
        return es_selectors.entries_by_attendees(client(), organisation_id, emails, limit)
    return selectors.entries_by_attendees(organisation_id, emails, limit)
