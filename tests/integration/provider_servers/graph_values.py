"""Graph's values as the Microsoft contract server checks, stores and shows them: event bodies,
dateTimeTimeZone (a wall time and a zone), the extended-property filter, schedule slots, errors.
"""

from __future__ import annotations

import base64
import copy
import re
from datetime import UTC, datetime, timedelta, tzinfo
from secrets import token_bytes
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.integration.provider_servers.messages import Refused, Request
from tests.integration.provider_servers.oauth import Grant

WRITABLE = (
    "subject",
    "body",
    "start",
    "end",
    "showAs",
    "location",
    "categories",
    "sensitivity",
    "isReminderOn",
    "importance",
    "singleValueExtendedProperties",
)

ACCEPTED = frozenset({*WRITABLE, "transactionId", "attendees", "isAllDay", "isOnlineMeeting", "responseRequested"})

SHOW_AS = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}  # availabilityView digits

PROPERTY_ID = re.compile(r"^(String|Integer|Boolean|SystemTime) \{[0-9a-fA-F-]{36}\} (Name \S+|Id 0x[0-9a-fA-F]+)$")

FILTER = re.compile(
    r"^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*"
    r"\1/id eq '((?:[^']|'')*)' and \1/value eq '((?:[^']|'')*)'\s*\)$",
    re.IGNORECASE,
)

PREFER_ZONE = re.compile(r'outlook\.timezone="([^"]+)"', re.IGNORECASE)

AADSTS = {"invalid_grant": 70000, "invalid_client": 7000215, "invalid_request": 900144, "unsupported_grant_type": 70003}


def need(grant: Grant, scopes: frozenset[str]) -> None:
    if not {scope.rsplit("/", 1)[-1] for scope in grant.scopes} & scopes:
        raise Refused(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def body_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refused(400, "BadRequest", "Empty Payload. JSON content expected.")
    return body


def accepted(body: Any) -> dict[str, Any]:
    """The event properties of a create or update; an unknown property is refused, as Graph does."""
    body = body_object(body)
    for name in body:
        if name not in ACCEPTED and not name.startswith("@odata."):
            raise Refused(
                400, "RequestBodyRead", f"The property '{name}' does not exist on type 'microsoft.graph.event'."
            )
    if "showAs" in body and body["showAs"] not in (*SHOW_AS, "unknown"):
        raise Refused(400, "RequestBodyRead", f"Cannot convert the literal '{body['showAs']}' to freeBusyStatus.")
    for prop in body.get("singleValueExtendedProperties") or []:
        if (
            not isinstance(prop, dict)
            or not PROPERTY_ID.match(str(prop.get("id")))
            or not isinstance(prop.get("value"), str)
        ):
            raise Refused(400, "ErrorInvalidProperty", f"The extended property {prop!r} is not valid.")
    return body


def writable(body: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(body[key]) for key in WRITABLE if key in body}


def matches(event: dict[str, Any], expression: str) -> bool:
    found = FILTER.match(expression.strip())
    if found is None:
        raise Refused(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.")
    wanted_id, wanted_value = found[2].replace("''", "'").lower(), found[3].replace("''", "'")
    return any(
        p["id"].lower() == wanted_id and p["value"] == wanted_value for p in event["singleValueExtendedProperties"]
    )


def times(event: dict[str, Any]) -> tuple[datetime, datetime]:
    start, end = instant(event.get("start"), "start"), instant(event.get("end"), "end")
    if end < start:
        raise Refused(400, "ErrorInvalidRequest", "The end of the event is before its start.")
    return start, end


def instant(value: Any, which: str) -> datetime:
    """A dateTimeTimeZone: a wall time without offset (seven decimals allowed) in `timeZone`; a wall
    time the zone shows twice is the first of the two."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise Refused(400, "ErrorInvalidRequest", f"The {which} is required.")
    name = str(value.get("timeZone") or "UTC")
    try:
        moment = datetime.fromisoformat(str(value["dateTime"]))
    except ValueError:
        raise Refused(
            400, "BadRequest", f"Cannot convert the literal '{value['dateTime']}' to a date and time."
        ) from None
    if moment.tzinfo is not None:
        raise Refused(400, "BadRequest", f"The {which} dateTime must be a wall time without offset; give timeZone.")
    return moment.replace(tzinfo=zone_named(name)).astimezone(UTC)


def zone_named(name: str) -> tzinfo:
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(
            400,
            "TimeZoneNotSupportedException",
            f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{name}'.",
        ) from None


def prefer_zone(request: Request) -> tuple[tzinfo, str]:
    found = PREFER_ZONE.search(request.headers.get("Prefer") or "")
    if found is None:
        return UTC, "UTC"
    try:
        return zone_named(found[1]), found[1]
    except Refused:
        return UTC, "UTC"


def view(event: dict[str, Any], request: Request) -> dict[str, Any]:
    """An event as Graph answers it: times in the preferred zone, extended properties only when asked for."""
    zone, name = prefer_zone(request)
    start, end = times(event)
    shown = {k: v for k, v in event.items() if k != "singleValueExtendedProperties" or "$expand" in request.query}
    shown.update(
        {
            "@odata.etag": f'W/"{event["changeKey"]}"',
            "start": shown_time(start, zone, name),
            "end": shown_time(end, zone, name),
            "originalStartTimeZone": event["start"].get("timeZone", "UTC"),
            "originalEndTimeZone": event["end"].get("timeZone", "UTC"),
        }
    )
    if "$select" in request.query:
        selected = {"id", "@odata.etag", *request.query["$select"].split(",")}
        shown = {k: v for k, v in shown.items() if k in selected}
    return shown


def changed(event: dict[str, Any]) -> dict[str, Any]:
    event.update(lastModifiedDateTime=stamp(), changeKey=base64.b64encode(token_bytes(12)).decode())
    return event


def slot(items: list[dict[str, Any]], start: datetime, length: timedelta) -> str:
    end = start + length
    digits = [
        SHOW_AS[i["status"]] for i in items if instant(i["start"], "start") < end and instant(i["end"], "end") > start
    ]
    return max(digits, default="0")


def shown_time(moment: datetime, zone: Any, name: str) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="microseconds") + "0",
        "timeZone": name,
    }


def graph_id() -> str:
    return "AAMkA" + base64.urlsafe_b64encode(token_bytes(41)).decode()  # ends with "=", as Graph's ids do


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def token_error(error: str, description: str) -> dict[str, Any]:
    code = AADSTS.get(error, 90000)
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
        "timestamp": stamp(),
        "trace_id": str(uuid4()),
        "correlation_id": str(uuid4()),
    }
