"""The views as Elasticsearch documents: one handler per public event, returning the writes.

Every write carries the aggregate version as an external version, so a redelivered or
replayed event is rejected by Elasticsearch (409) and changes nothing. Entries do not copy
event type titles; reads join them, so a title change touches one document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from booking.domain.event_type import DEFAULTS
from booking.public_events import camel
from projections.envelope import Envelope


@dataclass(frozen=True)
class Write:
    op: str  # "index" | "delete"
    id: str
    version: int
    doc: dict[str, Any] | None = None


Lookup = Callable[[str], dict[str, Any] | None]
Handler = Callable[[Envelope, Lookup], list[Write]]


def _need(lookup: Lookup, doc_id: str) -> dict[str, Any]:
    doc = lookup(doc_id)
    if doc is None:
        raise LookupError(f"document {doc_id} is missing")
    return doc


def _times(start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, Any]:
    local_start = start.astimezone(zone)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "startLocal": local_start.isoformat(),
        "endLocal": end.astimezone(zone).isoformat(),
        "localDate": local_start.date().isoformat(),
        "minutes": int((end - start).total_seconds() // 60),
    }


def _host(e: Envelope, lookup: Lookup) -> list[Write]:
    doc = {
        "kind": "host",
        "organisationId": e.data["organisationId"],
        "name": e.data["name"],
        "email": e.data["email"],
        "timeZone": e.data["timeZone"],
    }
    return [Write("index", f"host:{e.aggregate_id}", e.aggregate_version, doc)]


def _event_type_doc(host_id: str, organisation_id: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "event_type",
        "organisationId": organisation_id,
        "hostId": host_id,
        "title": settings["title"],
        "slug": settings.get("slug"),
        "settings": settings,
    }


def _event_type(e: Envelope, lookup: Lookup) -> list[Write]:
    settings = {**{camel(k): v for k, v in DEFAULTS.items()}, **e.data["settings"]}
    doc = _event_type_doc(e.data["hostId"], e.data["organisationId"], settings)
    return [Write("index", f"event-type:{e.aggregate_id}", e.aggregate_version, doc)]


def _event_type_updated(e: Envelope, lookup: Lookup) -> list[Write]:
    before = _need(lookup, f"event-type:{e.aggregate_id}")
    settings = {**before.get("settings", {"title": before["title"]}), **e.data["changes"]}
    doc = _event_type_doc(before["hostId"], before.get("organisationId"), settings)
    return [Write("index", f"event-type:{e.aggregate_id}", e.aggregate_version, doc)]


def _booking_created(e: Envelope, lookup: Lookup) -> list[Write]:
    host = _need(lookup, f"host:{e.data['hostId']}")
    attendee = e.data["attendee"]
    doc = {
        "kind": "entry",
        "uid": str(e.aggregate_id),
        "organisationId": e.data["organisationId"],
        "hostId": e.data["hostId"],
        "eventTypeId": e.data["eventTypeId"],
        "attendeeName": attendee["name"],
        "attendeeEmail": attendee["email"],
        "attendeeTimeZone": attendee["timeZone"],
        "hostTimeZone": host["timeZone"],
        "status": "accepted",
        "createdAt": e.occurred_at.isoformat(),
        "updatedAt": e.occurred_at.isoformat(),
        **_times(
            datetime.fromisoformat(e.data["start"]), datetime.fromisoformat(e.data["end"]), ZoneInfo(host["timeZone"])
        ),
    }
    return [Write("index", f"booking:{e.aggregate_id}", e.aggregate_version, doc)]


def _booking_rescheduled(e: Envelope, lookup: Lookup) -> list[Write]:
    entry = _need(lookup, f"booking:{e.aggregate_id}")
    times = _times(
        datetime.fromisoformat(e.data["toStart"]),
        datetime.fromisoformat(e.data["toEnd"]),
        ZoneInfo(entry["hostTimeZone"]),
    )
    doc = {**entry, **times, "updatedAt": e.occurred_at.isoformat()}
    return [Write("index", f"booking:{e.aggregate_id}", e.aggregate_version, doc)]


def _booking_cancelled(e: Envelope, lookup: Lookup) -> list[Write]:
    entry = _need(lookup, f"booking:{e.aggregate_id}")
    doc = {**entry, "status": "cancelled", "updatedAt": e.occurred_at.isoformat()}
    return [Write("index", f"booking:{e.aggregate_id}", e.aggregate_version, doc)]


def _day_opened(e: Envelope, lookup: Lookup) -> list[Write]:
    doc = {"kind": "day", "hostId": e.data["hostId"], "localDate": e.data["localDate"]}
    return [Write("index", f"day:{e.aggregate_id}", e.aggregate_version, doc)]


def _hold_id(day: dict[str, Any], booking_uid: str) -> str:
    return f"hold:{day['hostId']}:{day['localDate']}:{booking_uid}"


def _slot_reserved(e: Envelope, lookup: Lookup) -> list[Write]:
    day = _need(lookup, f"day:{e.aggregate_id}")
    d = e.data
    doc = {
        "kind": "hold",
        "hostId": day["hostId"],
        "localDate": day["localDate"],
        "bookingUid": d["bookingUid"],
        "eventTypeId": d["eventTypeId"],
        "start": d["start"],
        "end": d["end"],
        "blockedStart": d["blockedStart"],
        "blockedEnd": d["blockedEnd"],
        "startDate": d["startDate"],
    }
    return [Write("index", _hold_id(day, d["bookingUid"]), e.aggregate_version, doc)]


def _slot_released(e: Envelope, lookup: Lookup) -> list[Write]:
    day = _need(lookup, f"day:{e.aggregate_id}")
    return [Write("delete", _hold_id(day, e.data["bookingUid"]), e.aggregate_version)]


HANDLERS: dict[str, dict[str, Handler]] = {
    "agenda": {
        "host.registered": _host,
        "event_type.created": _event_type,
        "event_type.updated": _event_type_updated,
        "booking.created": _booking_created,
        "booking.rescheduled": _booking_rescheduled,
        "booking.cancelled": _booking_cancelled,
    },
    "availability": {
        "calendar_day.opened": _day_opened,
        "calendar_day.slot_reserved": _slot_reserved,
        "calendar_day.slot_released": _slot_released,
    },
}
