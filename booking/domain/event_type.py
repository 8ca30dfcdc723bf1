"""An event type: what invitees book (length, buffers, notice, window, limits)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from booking.domain import ids
from booking.domain.availability import SlotRules
from booking.domain.errors import InvalidValue, SlugTaken

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # matched whole: `$` would let a trailing newline in

# field -> (smallest, largest) allowed
LIMITS: dict[str, tuple[int, int]] = {
    "length_in_minutes": (5, 720),
    "buffer_before_minutes": (0, 720),
    "buffer_after_minutes": (0, 720),
    "minimum_notice_minutes": (0, 525_600),
    "slot_interval_minutes": (5, 720),
    "max_bookings_per_day": (1, 1_000),
    "booking_window_days": (1, 730),
}
DEFAULTS: dict[str, Any] = {
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 0,
    "minimum_notice_minutes": 0,
    "slot_interval_minutes": None,
    "max_bookings_per_day": None,
    "booking_window_days": 60,
}
# Reminders: minutes before the start, each its own email. Not in DEFAULTS, whose keys the
# agenda view stores as columns; the aggregate fills this one in itself.
DEFAULT_REMINDERS: tuple[int, ...] = (1440, 60)  # a day and an hour before
REMINDER_MINUTES = (5, 40_320)  # five minutes to four weeks
MAX_REMINDERS = 5
EDITABLE = ("slug", "title", *LIMITS, "reminders")


NULLABLE = ("slot_interval_minutes", "max_bookings_per_day")


def validate_settings(settings: Mapping[str, Any]) -> None:
    """Checks slug, title and numeric ranges of whichever settings are given."""
    errors: list[tuple[str, str]] = []
    slug, title = settings.get("slug"), settings.get("title")
    if "slug" in settings and not (isinstance(slug, str) and SLUG.fullmatch(slug) and len(slug) <= 100):
        errors.append(("slug", "must be 1 to 100 lower-case letters, digits and single hyphens"))
    if "title" in settings and not (isinstance(title, str) and title.strip() and len(title) <= 200):
        errors.append(("title", "must be 1 to 200 characters"))
    for name, (low, high) in LIMITS.items():
        if name not in settings:
            continue
        value = settings[name]
        if value is None:
            if name not in NULLABLE:
                errors.append((name, "may not be null"))
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append((name, f"must be a whole number from {low} to {high}"))
    if "reminders" in settings and (problem := _reminders_problem(settings["reminders"])):
        errors.append(("reminders", problem))
    if errors:
        raise InvalidValue(errors)


def _reminders_problem(value: Any) -> str | None:
    low, high = REMINDER_MINUTES
    if not isinstance(value, list) or len(value) > MAX_REMINDERS:
        return f"must be a list of at most {MAX_REMINDERS} lead times in minutes"
    if any(isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high for v in value):
        return f"each lead time must be a whole number of minutes from {low} to {high}"
    if len(set(value)) != len(value):
        return "lead times must be distinct"
    return None


def reminders_of(settings: Mapping[str, Any]) -> list[int]:
    """The lead times in minutes before the start; event types made before reminders existed get the default."""
    return list(settings.get("reminders", DEFAULT_REMINDERS))


class EventType(Aggregate):
    @event("Created")
    def __init__(self, organisation_id: UUID, host_id: UUID, settings: dict[str, Any]) -> None:
        self.organisation_id = organisation_id
        self.host_id = host_id
        self.settings: dict[str, Any] = {**DEFAULTS, "reminders": list(DEFAULT_REMINDERS), **settings}

    def update(self, changes: dict[str, Any]) -> None:
        """Applies a partial change; a no-op change records nothing."""
        real = {k: v for k, v in changes.items() if self.settings.get(k) != v}
        if real:
            self._update(changes=real)

    @event("Updated")
    def _update(self, changes: dict[str, Any]) -> None:
        self.settings = {**self.settings, **changes}

    @property
    def rules(self) -> SlotRules:
        s = self.settings
        length = timedelta(minutes=s["length_in_minutes"])
        interval = s["slot_interval_minutes"]
        return SlotRules(
            event_type_id=self.id,
            length=length,
            interval=timedelta(minutes=interval) if interval else length,
            buffer_before=timedelta(minutes=s["buffer_before_minutes"]),
            buffer_after=timedelta(minutes=s["buffer_after_minutes"]),
            minimum_notice=timedelta(minutes=s["minimum_notice_minutes"]),
            booking_window_days=s["booking_window_days"],
            max_per_day=s["max_bookings_per_day"],
        )


class EventTypeRegistry(Aggregate):
    """A host's event types by slug: the consistency boundary that keeps slugs unique."""

    @staticmethod
    def create_id(host_id: UUID, **_: Any) -> UUID:
        return ids.event_type_registry_id(host_id)

    @event("Opened")
    def __init__(self, host_id: UUID) -> None:
        self.host_id = host_id
        self.slugs: dict[str, UUID] = {}

    @property
    def event_type_ids(self) -> list[UUID]:
        return list(self.slugs.values())

    def claim(self, slug: str, event_type_id: UUID, field: str = "slug") -> None:
        owner = self.slugs.get(slug)
        if owner == event_type_id:
            return
        if owner is not None:
            raise SlugTaken(f"the host already has an event type with slug {slug!r}", field)
        for old, owned in list(self.slugs.items()):
            if owned == event_type_id:
                self._release(slug=old)
        self._claim(slug=slug, event_type_id=event_type_id)

    @event("SlugClaimed")
    def _claim(self, slug: str, event_type_id: UUID) -> None:
        self.slugs[slug] = event_type_id

    @event("SlugReleased")
    def _release(self, slug: str) -> None:
        del self.slugs[slug]
