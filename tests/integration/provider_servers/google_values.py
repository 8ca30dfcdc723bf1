"""Calendar API v3 values as the Google contract server checks, stores and shows them: event bodies,
EventDateTime (an RFC 3339 time, with an offset or a zone), free/busy periods.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.integration.provider_servers.messages import Refused
from tests.integration.provider_servers.oauth import Grant

WRITABLE = (
    "summary",
    "description",
    "location",
    "start",
    "end",
    "status",
    "transparency",
    "attendees",
    "sequence",
    "reminders",
    "visibility",
    "extendedProperties",
    "colorId",
)


def need(grant: Grant, scopes: frozenset[str]) -> None:
    if not grant.scopes & scopes:
        raise Refused(403, "insufficientPermissions", "Request had insufficient authentication scopes.")


def body_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refused(400, "badRequest", "Bad Request")
    return body


def event_in(calendar: dict[str, dict[str, Any]], event_id: str) -> dict[str, Any]:
    if event_id not in calendar:
        raise Refused(404, "notFound", "Not Found")
    return calendar[event_id]


def writable(body: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(body[key]) for key in WRITABLE if key in body}


def times(event: dict[str, Any]) -> tuple[datetime, datetime]:
    start, end = instant(event.get("start"), "start"), instant(event.get("end"), "end")
    if end < start:
        raise Refused(400, "timeRangeEmpty", "The specified time range is empty.")
    return start, end


def instant(value: Any, which: str) -> datetime:
    """An EventDateTime: an RFC 3339 dateTime needs an offset unless `timeZone` names the zone."""
    if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
        raise Refused(400, "required", f"Missing {which} time.")
    zone = zone_named(value["timeZone"], f"{which} time") if value.get("timeZone") else None
    try:
        moment = datetime.fromisoformat(str(value.get("dateTime") or value["date"]))
    except ValueError:
        raise Refused(400, "invalid", f"Invalid {which} time.") from None
    if moment.tzinfo is None:
        if zone is None and "dateTime" in value:
            raise Refused(400, "invalid", f"Missing time zone definition for {which} time.")
        moment = moment.replace(tzinfo=zone or UTC)
    return moment.astimezone(UTC)


def zone_named(name: str, what: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(400, "invalid", f"Invalid time zone definition for {what}.") from None


def rfc3339(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Refused(400, "invalid", f"Invalid value for: {name}") from None
    if moment.tzinfo is None:
        raise Refused(400, "invalid", f"Invalid value for: {name}")
    return moment.astimezone(UTC)


def merged(periods: Any) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def shown_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat().replace("+00:00", "Z")


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
