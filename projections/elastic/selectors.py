"""The views' read API, answered from Elasticsearch (same shapes as projections.selectors)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from elasticsearch import Elasticsearch

from booking.domain.availability import Reservation
from projections.elastic.client import alias
from projections.models import AgendaEntry, AgendaEventType, AgendaHost
from projections.selectors import GROUPS, decode_cursor, encode_cursor

FIELDS = {"local_date": "localDate", "host_id": "hostId", "event_type_id": "eventTypeId"}


def _entries_query(
    organisation_id: UUID, host_id: UUID | None, first: date | None, last: date | None
) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"term": {"kind": "entry"}}, {"term": {"organisationId": str(organisation_id)}}]
    if host_id is not None:
        filters.append({"term": {"hostId": str(host_id)}})
    if first is not None or last is not None:
        bounds = {k: v.isoformat() for k, v in (("gte", first), ("lte", last)) if v is not None}
        filters.append({"range": {"localDate": bounds}})
    return filters


# the wildcard query's own syntax: `*` and `?` match anything, a backslash escapes the next character
WILDCARD_SYNTAX = str.maketrans({"\\": "\\\\", "*": "\\*", "?": "\\?"})


def _contains(field: str, text: str) -> dict[str, Any]:
    """Matches values holding `text` literally (any case), as SQL's icontains does."""
    return {"wildcard": {field: {"value": f"*{text.translate(WILDCARD_SYNTAX)}*", "case_insensitive": True}}}


def agenda_for(
    es: Elasticsearch,
    organisation_id: UUID,
    *,
    host_id: UUID | None = None,
    first: date | None = None,
    last: date | None = None,
    status: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AgendaEntry], str | None]:
    index = alias("agenda")
    filters = _entries_query(organisation_id, host_id, first, last)
    if status is not None:
        filters.append({"term": {"status": status}})
    if q:
        titled = es.search(
            index=index,
            size=1000,
            source=False,
            query={"bool": {"filter": [{"term": {"kind": "event_type"}}, _contains("title.raw", q)]}},
        )
        type_ids = [hit["_id"].removeprefix("event-type:") for hit in titled["hits"]["hits"]]
        filters.append(
            {
                "bool": {
                    "minimum_should_match": 1,
                    "should": [
                        _contains("attendeeName.raw", q),
                        _contains("attendeeEmail.raw", q),
                        {"terms": {"eventTypeId": type_ids}},
                    ],
                }
            }
        )
    search_after: list[int | str] | None = None
    if cursor is not None:
        after_start, after_uid = decode_cursor(cursor)
        search_after = [int(after_start.timestamp() * 1000), str(after_uid)]
    found = es.search(
        index=index,
        size=limit + 1,
        query={"bool": {"filter": filters}},
        sort=[{"start": "asc"}, {"uid": "asc"}],
        search_after=search_after,
    )
    docs = [hit["_source"] for hit in found["hits"]["hits"]]
    page = [_entry(doc, _titles(es, docs)) for doc in docs[:limit]]
    return page, (encode_cursor(page[-1]) if len(docs) > limit else None)


def _titles(es: Elasticsearch, docs: list[dict[str, Any]]) -> dict[str, str]:
    ids = sorted({f"event-type:{d['eventTypeId']}" for d in docs})
    if not ids:
        return {}
    found = es.mget(index=alias("agenda"), ids=ids)
    return {d["_id"].removeprefix("event-type:"): d["_source"]["title"] for d in found["docs"] if d.get("found")}


def _entry(doc: dict[str, Any], titles: dict[str, str]) -> AgendaEntry:
    return AgendaEntry(
        uid=UUID(doc["uid"]),
        organisation_id=UUID(doc["organisationId"]),
        host_id=UUID(doc["hostId"]),
        event_type_id=UUID(doc["eventTypeId"]),
        title=titles.get(doc["eventTypeId"], ""),
        attendee_name=doc["attendeeName"],
        attendee_email=doc["attendeeEmail"],
        attendee_time_zone=doc["attendeeTimeZone"],
        host_time_zone=doc["hostTimeZone"],
        start=datetime.fromisoformat(doc["start"]),
        end=datetime.fromisoformat(doc["end"]),
        start_local=doc["startLocal"],
        end_local=doc["endLocal"],
        local_date=date.fromisoformat(doc["localDate"]),
        minutes=doc["minutes"],
        status=doc["status"],
        created_at=datetime.fromisoformat(doc["createdAt"]),
        updated_at=datetime.fromisoformat(doc["updatedAt"]),
    )


def agenda_stats(
    es: Elasticsearch,
    organisation_id: UUID,
    group_by: str,
    *,
    host_id: UUID | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    field = FIELDS[GROUPS[group_by]]
    accepted = {"term": {"status": "accepted"}}
    found = es.search(
        index=alias("agenda"),
        size=0,
        query={"bool": {"filter": _entries_query(organisation_id, host_id, first, last)}},
        aggs={
            "groups": {
                "terms": {"field": field, "size": 10_000, "order": {"_key": "asc"}},
                "aggs": {
                    "accepted": {"filter": accepted, "aggs": {"minutes": {"sum": {"field": "minutes"}}}},
                    "cancelled": {"filter": {"term": {"status": "cancelled"}}},
                },
            }
        },
    )
    rows = []
    for bucket in found["aggregations"]["groups"]["buckets"]:
        key = bucket.get("key_as_string", bucket["key"])
        if field == "localDate":
            key = str(key)[:10]
        rows.append(
            {
                "key": str(key),
                "bookings": bucket["accepted"]["doc_count"],
                "cancelled": bucket["cancelled"]["doc_count"],
                "bookedMinutes": int(bucket["accepted"]["minutes"]["value"] or 0),
            }
        )
    return rows


def _docs(es: Elasticsearch, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    found = es.mget(index=alias("agenda"), ids=ids)
    return {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}


def hosts_by_ids(es: Elasticsearch, ids: list[UUID]) -> dict[UUID, AgendaHost]:
    docs = _docs(es, [f"host:{i}" for i in ids])
    hosts = (
        AgendaHost(
            id=UUID(key.removeprefix("host:")),
            organisation_id=UUID(d["organisationId"]),
            name=d["name"],
            email=d.get("email", ""),
            time_zone=d["timeZone"],
        )
        for key, d in docs.items()
    )
    return {host.id: host for host in hosts}


def _event_type(key: str, d: dict[str, Any]) -> AgendaEventType:
    s = d.get("settings", {})
    return AgendaEventType(
        id=UUID(key.removeprefix("event-type:")),
        organisation_id=UUID(d["organisationId"]) if d.get("organisationId") else None,
        host_id=UUID(d["hostId"]),
        slug=d.get("slug") or "",
        title=d["title"],
        length_in_minutes=s.get("lengthInMinutes", 0),
        buffer_before_minutes=s.get("bufferBeforeMinutes", 0),
        buffer_after_minutes=s.get("bufferAfterMinutes", 0),
        minimum_notice_minutes=s.get("minimumNoticeMinutes", 0),
        slot_interval_minutes=s.get("slotIntervalMinutes"),
        max_bookings_per_day=s.get("maxBookingsPerDay"),
        booking_window_days=s.get("bookingWindowDays", 60),
    )


def event_types_by_ids(es: Elasticsearch, ids: list[UUID]) -> dict[UUID, AgendaEventType]:
    docs = _docs(es, [f"event-type:{i}" for i in ids])
    return {UUID(key.removeprefix("event-type:")): _event_type(key, d) for key, d in docs.items()}


def event_types_by_hosts(es: Elasticsearch, host_ids: list[UUID], limit: int) -> dict[UUID, list[AgendaEventType]]:
    found = es.search(
        index=alias("agenda"),
        size=10_000,
        query={
            "bool": {"filter": [{"term": {"kind": "event_type"}}, {"terms": {"hostId": [str(h) for h in host_ids]}}]}
        },
    )
    by_host: dict[UUID, list[AgendaEventType]] = {}
    for hit in found["hits"]["hits"]:
        made = _event_type(hit["_id"], hit["_source"])
        by_host.setdefault(made.host_id, []).append(made)
    return {h: sorted(types, key=lambda t: (t.slug, str(t.id)))[:limit] for h, types in by_host.items()}


def entries_by_uids(es: Elasticsearch, uids: list[UUID]) -> dict[UUID, AgendaEntry]:
    docs = list(_docs(es, [f"booking:{u}" for u in uids]).values())
    titles = _titles(es, docs)  # one lookup for the page, not one per entry
    return {e.uid: e for e in (_entry(d, titles) for d in docs)}


def entries_by_attendees(
    es: Elasticsearch, organisation_id: UUID, emails: list[str], limit: int
) -> dict[str, list[AgendaEntry]]:
    found = es.search(
        index=alias("agenda"),
        size=0,
        query={
            "bool": {
                "filter": [
                    {"term": {"kind": "entry"}},
                    {"term": {"organisationId": str(organisation_id)}},
                    {"terms": {"attendeeEmail.raw": emails}},
                ]
            }
        },
        aggs={
            "attendees": {
                "terms": {"field": "attendeeEmail.raw", "size": len(emails) or 1},
                "aggs": {"first": {"top_hits": {"size": limit, "sort": [{"start": "asc"}, {"uid": "asc"}]}}},
            }
        },
    )
    buckets = found["aggregations"]["attendees"]["buckets"]
    docs = [hit["_source"] for b in buckets for hit in b["first"]["hits"]["hits"]]
    titles = _titles(es, docs)
    return {b["key"]: [_entry(hit["_source"], titles) for hit in b["first"]["hits"]["hits"]] for b in buckets}


def holds(es: Elasticsearch, host_id: UUID, dates: list[date]) -> list[Reservation]:
    found = es.search(
        index=alias("availability"),
        size=10_000,
        query={
            "bool": {
                "filter": [
                    {"term": {"kind": "hold"}},
                    {"term": {"hostId": str(host_id)}},
                    {"terms": {"localDate": [d.isoformat() for d in dates]}},
                ]
            }
        },
    )
    unique = {}
    for hit in found["hits"]["hits"]:
        d = hit["_source"]
        unique[d["bookingUid"]] = Reservation(
            booking_uid=UUID(d["bookingUid"]),
            event_type_id=UUID(d["eventTypeId"]),
            start=datetime.fromisoformat(d["start"]),
            end=datetime.fromisoformat(d["end"]),
            blocked_start=datetime.fromisoformat(d["blockedStart"]),
            blocked_end=datetime.fromisoformat(d["blockedEnd"]),
            start_date=date.fromisoformat(d["startDate"]),
        )
    return list(unique.values())
