"""The Google Calendar adapter (Calendar API v3): one calendar of a host, reached with OAuth.

Google lets a client choose an event's id, so the id is derived from the booking uid and every
call is idempotent: an upsert is a PUT to that id (an insert with the id when nothing is there
yet), a delete of a missing or already deleted event is done. A deleted event keeps its id as a
cancelled event, so an insert can find the id taken: the event is then written over.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import requests

from providers.base import BusyInterval, CalendarEvent, ProviderError, RateLimited, Rejected, Unavailable
from providers.http_errors import error_for_status, json_object, retry_after_seconds
from providers.oauth import TokenSession

GOOGLE_API_URL = "https://www.googleapis.com/calendar/v3"
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
NO_INVITATIONS = "sendUpdates=none"  # Slotwise emails the invitation itself: Google must not send another


class GoogleCalendarProvider:
    """One Google calendar, e.g. `primary` or `…@group.calendar.google.com`."""

    def __init__(self, calendar_id: str, session: TokenSession, api_url: str = GOOGLE_API_URL) -> None:
        self.calendar_id = calendar_id
        self.session = session
        self.api_url = api_url.rstrip("/")

    def upsert_event(self, event: CalendarEvent) -> None:
        if event.cancelled:  # a cancelled Google event is a deleted one
            self.delete_event(event.uid)
            return
        event_id = event_id_for(event.uid)
        resource = event_resource(event)
        if self._call("PUT", self._event_url(event_id), resource, tolerate=(404, 410)) is not None:
            return
        if self._call("POST", self._events_url(), {**resource, "id": event_id}, tolerate=(409,)) is None:
            # the id is taken: inserted meanwhile, or a deleted event that keeps it; "confirmed" brings it back
            self._call("PUT", self._event_url(event_id), resource)

    def delete_event(self, uid: str) -> None:
        self._call("DELETE", self._event_url(event_id_for(uid)), tolerate=(404, 410))  # 410: deleted before

    def busy_times(self, start: datetime, end: datetime) -> list[BusyInterval]:
        """The busy intervals in [start, end), in UTC, sorted; cancelled and transparent events are free."""
        query = {
            "timeMin": rfc3339(start),
            "timeMax": rfc3339(end),
            "timeZone": "UTC",
            "items": [{"id": self.calendar_id}],
        }
        answer = self._call("POST", f"{self.api_url}/freeBusy", query) or {}
        calendar = (answer.get("calendars") or {}).get(self.calendar_id)
        if not isinstance(calendar, dict):
            raise Unavailable(f"Google freeBusy answered without calendar {self.calendar_id!r}")
        if calendar.get("errors"):
            raise _free_busy_error(self.calendar_id, calendar["errors"])
        try:
            intervals = [_clipped(period, start, end) for period in calendar.get("busy") or []]
        except (KeyError, TypeError, ValueError) as e:
            raise Unavailable(f"Google freeBusy: an answer that is not free/busy ({e!r})") from e
        return sorted((i for i in intervals if i is not None), key=lambda i: (i.start, i.end))

    def _call(self, method: str, url: str, body: Any = None, tolerate: tuple[int, ...] = ()) -> dict[str, Any] | None:
        """The answer's JSON ({} when empty), None for a tolerated status; any other failure raised."""
        response = self.session.request(method, url, json=body)
        if response.status_code in tolerate:
            return None
        if response.status_code >= 400:
            raise google_error(method, url, response)
        return json_object(response.content)

    def _events_url(self) -> str:
        return f"{self.api_url}/calendars/{quote(self.calendar_id, safe='')}/events?{NO_INVITATIONS}"

    def _event_url(self, event_id: str) -> str:
        return f"{self.api_url}/calendars/{quote(self.calendar_id, safe='')}/events/{event_id}?{NO_INVITATIONS}"


def event_id_for(uid: str) -> str:
    """Google's event id for a booking uid. Ids are base32hex (0-9, a-v), 5 to 1024 characters: a
    uuid's hex qualifies as it is; any other uid is encoded."""
    try:
        return UUID(uid).hex
    except ValueError:
        return base64.b32hexencode(uid.encode()).decode().rstrip("=").lower().ljust(5, "0")


def event_resource(event: CalendarEvent) -> dict[str, Any]:
    """The event as Google stores it; times are the host's wall clock with its offset, and the zone."""
    zone = ZoneInfo(event.time_zone)
    return {
        "iCalUID": event.uid,  # the UID of the invitation Slotwise emails: one meeting in every calendar
        "summary": event.summary,
        "description": event.description,
        "start": {"dateTime": event.start.astimezone(zone).isoformat(), "timeZone": event.time_zone},
        "end": {"dateTime": event.end.astimezone(zone).isoformat(), "timeZone": event.time_zone},
        "sequence": event.sequence,
        "status": "confirmed",
        "transparency": "opaque",
        "attendees": [{"email": event.attendee_email, "displayName": event.attendee_name}],
    }


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def google_error(method: str, url: str, response: requests.Response) -> ProviderError:
    """Google's documented errors: 403 means a rate limit or quota when its reason (or the
    usageLimits domain) says so, and a refusal otherwise; the rest maps by status."""
    found = json_object(response.content).get("error")
    error = found if isinstance(found, dict) else {}
    details = [item for item in error.get("errors") or [] if isinstance(item, dict)]
    reasons = {str(item.get("reason")) for item in details}
    status = response.status_code
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    message = f"Google {method} {urlsplit(url).path}: {status} {'/'.join(sorted(reasons))} {error.get('message', '')}"
    if status == 403:
        limited = reasons & RATE_LIMIT_REASONS or any(item.get("domain") == "usageLimits" for item in details)
        return (RateLimited if limited else Rejected)(message, retry_after, status)
    return error_for_status(status, message, retry_after)


def _free_busy_error(calendar_id: str, errors: list[Any]) -> ProviderError:
    reasons = sorted(str(item.get("reason")) for item in errors if isinstance(item, dict))
    message = f"Google freeBusy for {calendar_id!r}: {', '.join(reasons)}"
    return Rejected(message) if "notFound" in reasons else Unavailable(message)


def _clipped(period: Any, start: datetime, end: datetime) -> BusyInterval | None:
    busy_start = max(datetime.fromisoformat(period["start"]).astimezone(UTC), start.astimezone(UTC))
    busy_end = min(datetime.fromisoformat(period["end"]).astimezone(UTC), end.astimezone(UTC))
    return BusyInterval(busy_start, busy_end) if busy_start < busy_end else None
