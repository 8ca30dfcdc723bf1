"""Putting a booking on a host's calendar: the orchestration, with no HTTP details.

The calendar gets the booking's *current* state (upsert, or delete once cancelled), keyed by
the booking uid, so running a sync twice, or out of order, leaves one right event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.booking import Booking
from projections.envelope import Envelope
from providers import oauth, resilience
from providers.base import AuthRevoked, BusyInterval, CalendarEvent, CalendarProvider, Rejected
from providers.caldav import CalDavProvider
from providers.effects import Deferred, Handler, RetryPolicy, booking_of
from providers.google import GoogleCalendarProvider
from providers.microsoft import MicrosoftCalendarProvider
from providers.models import CalendarAccount, SideEffect
from providers.secrets import seal, unseal

T = TypeVar("T")

BOOKING_EVENTS = ("booking.created", "booking.rescheduled", "booking.cancelled")


def calendars_of(event: Envelope, cache: dict[str, Any]) -> Iterable[str]:
    """The host's connected calendars: one sync each. Read once per host per batch."""
    host_id = UUID(event.data["hostId"]) if "hostId" in event.data else booking_of(event, cache).host_id
    key = f"calendars/{host_id}"
    if key not in cache:
        accounts = CalendarAccount.objects.filter(host_id=host_id, disconnected_at__isnull=True)
        cache[key] = [str(account.id) for account in accounts]
    found: list[str] = cache[key]
    return found


def prefetch_calendars(events: Sequence[Envelope], cache: dict[str, Any]) -> None:
    """The connected calendars of every host the batch's events name, in one query, into the
    batch's cache (`calendars_of` then finds them there): a spike's batch names many hosts."""
    hosts = {UUID(e.data["hostId"]) for e in events if "hostId" in e.data}
    hosts = {host for host in hosts if f"calendars/{host}" not in cache}
    if not hosts:
        return
    found: dict[UUID, list[str]] = {host: [] for host in hosts}
    accounts = CalendarAccount.objects.filter(host_id__in=hosts, disconnected_at__isnull=True).order_by("created_at")
    for account_id, host_id in accounts.values_list("id", "host_id"):
        found[host_id].append(str(account_id))
    for host, ids in found.items():
        cache[f"calendars/{host}"] = ids


HANDLER = Handler(
    name="calendar.sync",
    task="slotwise.providers.sync_booking_to_calendar",
    events=BOOKING_EVENTS,
    targets=calendars_of,
    prepare=prefetch_calendars,
    policy=RetryPolicy(
        base=settings.SLOTWISE_CALENDAR_RETRY_BASE_SECONDS,
        cap=settings.SLOTWISE_CALENDAR_RETRY_CAP_SECONDS,
        max_attempts=settings.SLOTWISE_CALENDAR_MAX_ATTEMPTS,  # about 2 hours at the default cap
    ),
)


def run(effect: SideEffect) -> str:
    """The task's work: one calendar brought in line with one booking."""
    account = CalendarAccount.objects.filter(id=effect.target, disconnected_at__isnull=True).first()
    if account is None:
        return "calendar disconnected"
    try:
        return sync_booking(account, effect.aggregate_id)
    except resilience.CircuitOpen as paused:
        raise Deferred(str(paused), paused.retry_after or 1.0) from None
    except AuthRevoked:  # the host withdrew access: shown on the calendar until they reconnect
        CalendarAccount.objects.filter(id=account.id).update(auth_failed_at=timezone.now())
        raise


class Guarded:
    """A provider behind its account's rate limit and circuit breaker: each port call takes one
    call from the account's budget (or defers the work) and goes through the breaker."""

    def __init__(self, account: CalendarAccount, provider: CalendarProvider) -> None:
        self.account_id = str(account.id)
        self.kind = account.provider
        self.provider = provider

    def busy_times(self, start: datetime, end: datetime) -> list[BusyInterval]:
        return self._call(lambda: self.provider.busy_times(start, end))

    def upsert_event(self, event: CalendarEvent) -> None:
        self._call(lambda: self.provider.upsert_event(event))

    def delete_event(self, uid: str) -> None:
        self._call(lambda: self.provider.delete_event(uid))

    def _call(self, call: Callable[[], T]) -> T:
        resilience.ensure_not_open(self.account_id)  # a paused calendar spends no budget
        wait = resilience.account_budget(self.account_id, self.kind)
        if wait > 0:
            raise Deferred("this calendar's call budget is spent for now", wait)
        return resilience.guarded(self.account_id, call)


def provider_for(account: CalendarAccount, timeout: float | None = None) -> CalendarProvider:
    """The account's adapter, behind its rate budget and breaker."""
    return Guarded(account, adapter_for(account, timeout))


def adapter_for(account: CalendarAccount, timeout: float | None = None) -> CalendarProvider:
    """The account's adapter alone, with its credentials; OAuth tokens refreshed on the way are
    sealed and stored at once."""
    wait = timeout or settings.SLOTWISE_PROVIDER_HTTP_TIMEOUT
    credentials: dict[str, Any] = unseal(account.secret)
    if account.provider == "caldav":
        return CalDavProvider(account.url, account.username, str(credentials.get("password", "")), timeout=wait)
    if account.provider not in ("google", "microsoft"):
        raise Rejected(f"no adapter for provider {account.provider!r}")
    client = replace(oauth.client_for(account.provider), timeout=wait)
    session = oauth.TokenSession(client, oauth.Tokens.from_dict(credentials), on_refresh=_keeper(account))
    api = oauth.api_url_for(account.provider)
    if account.provider == "google":
        return GoogleCalendarProvider(account.url or "primary", session, api_url=api)
    return MicrosoftCalendarProvider(account.url or None, account.username, session, api_url=api)


def _keeper(account: CalendarAccount) -> Callable[[oauth.Tokens], None]:
    def keep(tokens: oauth.Tokens) -> None:  # an account not saved yet updates nothing
        CalendarAccount.objects.filter(id=account.id).update(secret=seal(tokens.to_dict()))

    return keep


def event_of(booking: Booking) -> CalendarEvent:
    app = get_app()
    host = app.host(booking.organisation_id, booking.host_id)
    title = str(app.event_type(booking.event_type_id).settings["title"])
    return calendar_event(booking, title, host.time_zone, host.email)


def calendar_event(booking: Booking, title: str, time_zone: str, organizer_email: str) -> CalendarEvent:
    """The booking as a calendar's event, in the host's zone (the host and title already read)."""
    attendee = booking.attendee
    return CalendarEvent(
        uid=str(booking.id),
        start=booking.start,
        end=booking.end,
        time_zone=time_zone,
        summary=f"{title}: {attendee['name']}",
        description=f"Booked through Slotwise by {attendee['name']} <{attendee['email']}>",
        attendee_name=attendee["name"],
        attendee_email=attendee["email"],
        organizer_email=organizer_email,
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
