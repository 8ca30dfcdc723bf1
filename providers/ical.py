"""A booking as iCalendar text: the invitation attached to emails and the object a CalDAV server stores.

Times are written in the host's zone (TZID) with a VTIMEZONE that describes it, so a reader
places a 09:00 meeting at 09:00 local time on either side of a DST change, and the instant it
resolves to is the booking's own.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

from providers.base import CalendarEvent, Rejected

PRODID = "-//Slotwise//Slotwise//EN"


def event_calendar(event: CalendarEvent, method: str) -> bytes:
    """An iTIP message (RFC 5546): `method` is REQUEST for a live booking, CANCEL once cancelled."""
    calendar = _calendar(event, stored=False)
    calendar.add("METHOD", method)
    return bytes(calendar.to_ical())


def event_object(event: CalendarEvent) -> bytes:
    """The calendar object resource a CalDAV server stores: no METHOD (RFC 4791 §4.1)."""
    return bytes(_calendar(event, stored=True).to_ical())


def _calendar(event: CalendarEvent, *, stored: bool) -> Calendar:
    try:
        return _written(event, stored)
    except ValueError as error:  # e.g. a line break in an address: no calendar can carry it, ever
        raise Rejected(f"the booking cannot be written as iCalendar: {error}") from None


def _written(event: CalendarEvent, stored: bool) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add_component(_vevent(event, stored))
    # what Calendar.add_missing_timezones does, with each VTIMEZONE made once: working out a
    # zone's transitions was a third of writing an invitation
    window = _zone_window(event)
    zones = [zone for tzid in sorted(calendar.get_missing_tzids()) if (zone := _vtimezone(tzid, *window))]
    calendar.subcomponents[:0] = zones
    return calendar


@functools.lru_cache(maxsize=512)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone | None:
    """The VTIMEZONE of `tzid` from `first` to `last` (None for a zone icalendar does not know).
    Shared by every calendar that needs it, and never changed after it is made."""
    try:
        return Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:
        return None


def _vevent(event: CalendarEvent, stored: bool) -> Event:
    zone = ZoneInfo(event.time_zone)
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", datetime.now(UTC))
    vevent.add("DTSTART", event.start.astimezone(zone))
    vevent.add("DTEND", event.end.astimezone(zone))
    vevent.add("SUMMARY", event.summary)
    vevent.add("DESCRIPTION", event.description)
    vevent.add("ORGANIZER", vCalAddress(f"mailto:{event.organizer_email}"))
    vevent.add("ATTENDEE", _attendee(event, stored))
    vevent.add("STATUS", "CANCELLED" if event.cancelled else "CONFIRMED")
    return vevent


def _attendee(event: CalendarEvent, stored: bool) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{event.attendee_email}")
    attendee.params["CN"] = event.attendee_name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    if stored:
        # Slotwise emails the invitation itself: a scheduling server (RFC 6638) must not send another
        attendee.params["SCHEDULE-AGENT"] = "CLIENT"
    return attendee


def _zone_window(event: CalendarEvent) -> tuple[date, date]:
    """The years the VTIMEZONE covers: enough around the meeting, without decades of transitions."""
    return date(event.start.year - 1, 1, 1), date(event.end.year + 2, 1, 1)
