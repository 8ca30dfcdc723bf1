"""Stable public names of events: what the history API, docs and messages call them.

Never derived from class paths, so refactoring code never renames a published event.
"""

from __future__ import annotations

from booking.domain.booking import Booking
from booking.domain.calendar import CalendarDay
from booking.domain.event_type import EventType, EventTypeRegistry
from booking.domain.host import Host
from booking.domain.idempotency import IdempotencyRecord
from booking.domain.organisation import Organisation

_NAMES: dict[tuple[type, str], str] = {
    (Organisation, "Registered"): "organisation.registered",
    (Organisation, "HostAdded"): "organisation.host_added",
    (Host, "Registered"): "host.registered",
    (Host, "ScheduleChanged"): "host.schedule_changed",
    (EventType, "Created"): "event_type.created",
    (EventType, "Updated"): "event_type.updated",
    (EventTypeRegistry, "Opened"): "event_type_registry.opened",
    (EventTypeRegistry, "SlugClaimed"): "event_type_registry.slug_claimed",
    (EventTypeRegistry, "SlugReleased"): "event_type_registry.slug_released",
    (Booking, "Created"): "booking.created",
    (Booking, "Rescheduled"): "booking.rescheduled",
    (Booking, "Cancelled"): "booking.cancelled",
    (Booking, "CancelTokenRevoked"): "booking.cancel_token_revoked",
    (CalendarDay, "Opened"): "calendar_day.opened",
    (CalendarDay, "SlotReserved"): "calendar_day.slot_reserved",
    (CalendarDay, "SlotReleased"): "calendar_day.slot_released",
    (IdempotencyRecord, "Recorded"): "idempotency_record.recorded",
}
# event classes are made by @event, so they are looked up by name
PUBLIC_NAMES: dict[type, str] = {getattr(agg, name): public for (agg, name), public in _NAMES.items()}


def public_name(event_class: type) -> str:
    return PUBLIC_NAMES[event_class]
