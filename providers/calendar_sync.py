"""Putting a booking on a host's calendar: the orchestration, with no HTTP details.

The calendar gets the booking's *current* state (upsert, or delete once cancelled), keyed by
the booking uid, so running a sync twice, or out of order, leaves one right event.
"""

from __future__ import annotations

from typing import Any

from booking.bootstrap import get_app
from booking.domain.booking import Booking
from providers.base import CalendarEvent, CalendarProvider, Rejected
from providers.caldav import CalDavProvider
from providers.models import CalendarAccount
from providers.secrets import unseal


def provider_for(account: CalendarAccount) -> CalendarProvider:
    credentials: dict[str, Any] = unseal(account.secret)
    if account.provider == "caldav":
        return CalDavProvider(account.url, account.username, str(credentials.get("password", "")))
    raise Rejected(f"no adapter for provider {account.provider!r}")


def event_of(booking: Booking) -> CalendarEvent:
    app = get_app()
    host = app.host(booking.organisation_id, booking.host_id)
    title = str(app.event_type(booking.event_type_id).settings["title"])
    attendee = booking.attendee
    return CalendarEvent(
        uid=str(booking.id),
        start=booking.start,
        end=booking.end,
        time_zone=host.time_zone,
        summary=f"{title}: {attendee['name']}",
        description=f"Booked through Slotwise by {attendee['name']} <{attendee['email']}>",
        attendee_name=attendee["name"],
        attendee_email=attendee["email"],
        organizer_email=host.email,
        sequence=booking.version,
        cancelled=booking.status == "cancelled",
    )


def sync_booking(account: CalendarAccount, booking_uid: Any, rounds: int = 5) -> str:
    """Brings one calendar in line with one booking; returns what it did.

    Syncs for one booking may run concurrently and out of order; each writes the state it read
    and then checks that the booking has not moved on meanwhile, writing again if it has, so
    the last write on the calendar is never older than the booking."""
    provider = provider_for(account)
    done = ""
    for _ in range(rounds):
        booking = get_app().booking(booking_uid)
        if booking.status == "cancelled":
            provider.delete_event(str(booking.id))
            done = "deleted"
        else:
            provider.upsert_event(event_of(booking))
            done = "upserted"
        if get_app().booking(booking_uid).version == booking.version:
            return done
    return done
