"""The provider port: what Slotwise asks of an external calendar, whoever runs it.

Adapters (CalDAV, Google, Microsoft) translate these calls and their failures. Every call is
idempotent: an event is known by the booking's uid (the iCalendar UID), so sending it again
replaces it and deleting it twice is harmless. Failures are sorted into the few kinds the
sync tasks act on: retry later (honouring Retry-After), refresh credentials, or give up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class BusyInterval:
    start: datetime  # aware, UTC
    end: datetime


@dataclass(frozen=True)
class CalendarEvent:
    """A booking as a calendar event. Times are aware; `time_zone` is the host's IANA zone,
    in which the event is written (TZID), so a DST change never moves the meeting."""

    uid: str  # the booking uid
    start: datetime
    end: datetime
    time_zone: str
    summary: str
    description: str
    attendee_name: str
    attendee_email: str
    organizer_email: str
    sequence: int  # rises with every change (the booking's aggregate version)
    cancelled: bool = False


class ProviderError(Exception):
    """A call failed. `retry_after` (seconds) when the provider said when to come back."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class RateLimited(ProviderError):
    """429, or Google's 403 rateLimitExceeded / userRateLimitExceeded."""


class Unavailable(ProviderError):
    """5xx, timeouts, connection failures."""


class AuthExpired(ProviderError):
    """The access token (or password) was refused; refresh it, then retry."""


class Rejected(ProviderError):
    """The provider refused the request itself (4xx other than the above): retrying will not help."""

    retryable = False


class AuthRevoked(Rejected):
    """The refresh token was revoked or has lapsed (OAuth `invalid_grant`): only the host connecting
    the calendar again brings access back."""


class CalendarProvider(Protocol):
    def busy_times(self, start: datetime, end: datetime) -> list[BusyInterval]: ...

    def upsert_event(self, event: CalendarEvent) -> None: ...

    def delete_event(self, uid: str) -> None: ...
