"""The Microsoft 365 / Outlook adapter (Microsoft Graph v1.0): one calendar of a host, reached with OAuth.

Graph chooses event ids itself, so the booking uid travels in a single-value extended property
and an event is found by it; creating sends the uid as `transactionId`, which Graph keeps to
turn a repeated create into the event it already made. Busy times come from the mailbox's
schedule (getSchedule), which is what Outlook itself shows as free/busy.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from providers.base import BusyInterval, CalendarEvent, ProviderError, Rejected, Unavailable
from providers.http_errors import error_for_status, json_object, retry_after_seconds
from providers.oauth import TokenSession

GRAPH_API_URL = "https://graph.microsoft.com/v1.0"
PROPERTY_SET = "090b739b-cc38-4f97-8e29-b74f2e80e8d1"  # Slotwise's own property set: never change it
UID_PROPERTY = f"String {{{PROPERTY_SET}}} Name SlotwiseBookingUid"
SEQUENCE_PROPERTY = f"Integer {{{PROPERTY_SET}}} Name SlotwiseSequence"
BUSY_STATUSES = frozenset({"busy", "tentative", "oof", "workingElsewhere"})
MISSING_SCHEDULE = frozenset({"ErrorMailRecipientNotFound", "ErrorInvalidRecipients", "ErrorNoFreeBusyAccess"})
IN_UTC = {"Prefer": 'outlook.timezone="UTC"'}


class MicrosoftCalendarProvider:
    """One calendar of a mailbox; `calendar_id` None is the mailbox's default calendar."""

    def __init__(
        self, calendar_id: str | None, mailbox: str, session: TokenSession, api_url: str = GRAPH_API_URL
    ) -> None:
        self.calendar_id = calendar_id
        self.mailbox = mailbox
        self.session = session
        self.api_url = api_url.rstrip("/")

    def upsert_event(self, event: CalendarEvent) -> None:
        if event.cancelled:  # Graph cancels only meetings it sent; a booking's event simply goes
            self.delete_event(event.uid)
            return
        if self._update(self._find(event.uid), event):
            return
        body = {**event_resource(event), "transactionId": event.uid}
        if self._call("POST", self._events_url(), body, tolerate=("ErrorDuplicateTransactionId",)) is not None:
            return
        # the uid made an event before: made meanwhile by a concurrent sync (update it), or deleted since
        if not self._update(self._find(event.uid), event):
            self._call("POST", self._events_url(), event_resource(event))

    def delete_event(self, uid: str) -> None:
        for event_id in self._find(uid):
            self._call("DELETE", self._event_url(event_id), tolerate=(404,))  # 404: deleted meanwhile

    def busy_times(self, start: datetime, end: datetime) -> list[BusyInterval]:
        """The busy intervals in [start, end), in UTC, sorted: busy, tentative, away and elsewhere all count."""
        query = {
            "schedules": [self.mailbox],
            "startTime": {"dateTime": _wall(start.astimezone(UTC)), "timeZone": "UTC"},
            "endTime": {"dateTime": _wall(end.astimezone(UTC)), "timeZone": "UTC"},
            "availabilityViewInterval": 15,
        }
        answer = self._call("POST", f"{self.api_url}/me/calendar/getSchedule", query, headers=IN_UTC) or {}
        schedule = next((s for s in answer.get("value") or [] if _is_schedule_of(s, self.mailbox)), None)
        if schedule is None:
            raise Unavailable(f"Graph getSchedule answered without the schedule of {self.mailbox}")
        if schedule.get("error"):
            raise _schedule_error(self.mailbox, schedule["error"])
        try:
            intervals = [
                _clipped(item, start, end)
                for item in schedule.get("scheduleItems") or []
                if item.get("status") in BUSY_STATUSES
            ]
        except (KeyError, TypeError, ValueError) as e:
            raise Unavailable(f"Graph getSchedule: an answer that is not a schedule ({e!r})") from e
        return sorted((i for i in intervals if i is not None), key=lambda i: (i.start, i.end))

    def _find(self, uid: str) -> list[str]:
        """The ids of the events carrying this booking uid: one, unless a create was repeated past Graph."""
        value = uid.replace("'", "''")  # an OData string literal
        test = f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROPERTY}' and ep/value eq '{value}')"
        answer = self._call("GET", f"{self._events_url()}?$filter={quote(test, safe='')}&$select=id&$top=50") or {}
        return [str(item["id"]) for item in answer.get("value") or [] if isinstance(item, dict) and item.get("id")]

    def _update(self, found: list[str], event: CalendarEvent) -> bool:
        """Writes the event over the first one found and removes the others; False when there is none (any more)."""
        if not found:
            return False
        first, *duplicates = found
        if self._call("PATCH", self._event_url(first), event_resource(event), tolerate=(404,)) is None:
            return False  # deleted since it was found
        for event_id in duplicates:
            self._call("DELETE", self._event_url(event_id), tolerate=(404,))
        return True

    def _call(
        self,
        method: str,
        url: str,
        body: Any = None,
        tolerate: Collection[int | str] = (),
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """The answer's JSON ({} when empty), None when its status or Graph error code is tolerated."""
        response = self.session.request(method, url, json=body, headers=headers)
        if response.status_code < 400:
            return json_object(response.content)
        if response.status_code in tolerate or _code(response) in tolerate:
            return None
        raise graph_error(method, url, response)

    def _events_url(self) -> str:
        if self.calendar_id is None:
            return f"{self.api_url}/me/calendar/events"
        return f"{self.api_url}/me/calendars/{quote(self.calendar_id, safe='')}/events"

    def _event_url(self, event_id: str) -> str:
        return f"{self.api_url}/me/events/{quote(event_id, safe='')}"


def event_resource(event: CalendarEvent) -> dict[str, Any]:
    """The event as Graph stores it. No attendees: Graph would send its own invitation, and Slotwise
    sends one already."""
    start, end, zone = wall_times(event)
    return {
        "subject": event.summary,
        "body": {"contentType": "text", "content": event.description},
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
        "showAs": "busy",
        "singleValueExtendedProperties": [
            {"id": UID_PROPERTY, "value": event.uid},
            {"id": SEQUENCE_PROPERTY, "value": str(event.sequence)},
        ],
    }


def wall_times(event: CalendarEvent) -> tuple[str, str, str]:
    """Start and end as Graph takes them: a wall time without offset, and a zone (IANA names are
    accepted). A wall time the zone shows twice (the hour when DST ends) would be read as the first
    one, so such a meeting is written in UTC instead, which is never ambiguous."""
    zone = ZoneInfo(event.time_zone)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    if _ambiguous(start) or _ambiguous(end):
        return _wall(event.start.astimezone(UTC)), _wall(event.end.astimezone(UTC)), "UTC"
    return _wall(start), _wall(end), event.time_zone


def graph_error(method: str, url: str, response: requests.Response) -> ProviderError:
    """Graph's errors map by status; 429 and 503 carry Retry-After in seconds, which is kept."""
    found = json_object(response.content).get("error")
    error = found if isinstance(found, dict) else {}
    message = f"Graph {method} {urlsplit(url).path}: {response.status_code} {error.get('code', '')}: " + str(
        error.get("message", "")
    )
    return error_for_status(response.status_code, message, retry_after_seconds(response.headers.get("Retry-After")))


def _code(response: requests.Response) -> str:
    found = json_object(response.content).get("error")
    return str(found.get("code", "")) if isinstance(found, dict) else ""


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _wall(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _is_schedule_of(schedule: Any, mailbox: str) -> bool:
    return isinstance(schedule, dict) and str(schedule.get("scheduleId", "")).lower() == mailbox.lower()


def _schedule_error(mailbox: str, error: Any) -> ProviderError:
    code = str(error.get("responseCode", "")) if isinstance(error, dict) else ""
    message = f"Graph getSchedule for {mailbox}: {code} {error.get('message', '') if isinstance(error, dict) else ''}"
    return Rejected(message) if code in MISSING_SCHEDULE else Unavailable(message)


def _instant(value: dict[str, Any]) -> datetime:
    """A Graph dateTimeTimeZone as an aware UTC instant (the wall time may have seven decimals)."""
    moment = datetime.fromisoformat(str(value["dateTime"]))
    if moment.tzinfo is None:
        name = str(value.get("timeZone") or "UTC")
        try:
            moment = moment.replace(tzinfo=UTC if name == "UTC" else ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {name!r}") from e
    return moment.astimezone(UTC)


def _clipped(item: dict[str, Any], start: datetime, end: datetime) -> BusyInterval | None:
    busy_start = max(_instant(item["start"]), start.astimezone(UTC))
    busy_end = min(_instant(item["end"]), end.astimezone(UTC))
    return BusyInterval(busy_start, busy_end) if busy_start < busy_end else None
