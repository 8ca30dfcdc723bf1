"""Bad input gets the documented 4xx as problem+json, naming the field, and writes no event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from booking.application import Slotwise
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.support import events_in

NINE = "2026-01-06T08:00:00Z"
GOOD_HOST = {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Berlin"}
MON = {"start": "09:00", "end": "17:00"}


@dataclass
class World:
    host: str
    event_type: str
    booking: str
    token: str


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: Any = None
    raw: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    keyed: bool = True
    status: int = 422
    code: str = "validation_error"
    field: str | None = None


def bk(**over: Any) -> dict[str, Any]:
    return {"eventTypeId": "{event_type}", "start": NINE, "attendee": attendee(), **over}


CASES = [
    Case("malformed json", "POST", "/hosts", raw="{bad", status=400, code="malformed_json"),
    Case("truncated json", "POST", "/bookings", raw='{"eventTypeId": ', keyed=False, status=400, code="malformed_json"),
    Case("json array body", "POST", "/hosts", raw="[1, 2]", field="body"),
    Case("missing name", "POST", "/hosts", {"email": "a@b.co", "timeZone": "UTC"}, field="name"),
    Case("empty name", "POST", "/hosts", {**GOOD_HOST, "name": ""}, field="name"),
    Case("name not a string", "POST", "/hosts", {**GOOD_HOST, "name": 7}, field="name"),
    Case("bad email", "POST", "/hosts", {**GOOD_HOST, "email": "not-an-email"}, field="email"),
    Case("unknown host zone", "POST", "/hosts", {**GOOD_HOST, "timeZone": "Mars/Olympus"}, field="timeZone"),
    Case("unknown field", "POST", "/hosts", {**GOOD_HOST, "nickname": "x"}, field="nickname"),
    Case("no key", "GET", "/hosts", keyed=False, status=401, code="unauthorized"),
    Case("unknown weekday", "PUT", "/hosts/{host}/schedule", {"weekly": {"funday": [MON]}}, field="weekly.funday"),
    Case(
        "hour 25",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {"monday": [{"start": "09:00", "end": "25:00"}]}},
        field="weekly.monday[0].end",
    ),
    Case(
        "start after end",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {"monday": [{"start": "17:00", "end": "09:00"}]}},
        field="weekly.monday[0]",
    ),
    Case(
        "overlapping intervals",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {"monday": [MON, {"start": "16:00", "end": "18:00"}]}},
        field="weekly.monday",
    ),
    Case(
        "impossible override date",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {}, "overrides": [{"date": "2026-02-30", "intervals": []}]},
        field="overrides[0].date",
    ),
    Case(
        "schedule of unknown host",
        "PUT",
        "/hosts/00000000-0000-4000-8000-000000000000/schedule",
        {"weekly": {}},
        status=404,
        code="not_found",
    ),
    Case(
        "stale If-Match",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {}},
        headers=(("If-Match", '"99"'),),
        status=412,
        code="version_mismatch",
    ),
    Case(
        "length too short",
        "POST",
        "/event-types",
        {"hostId": "{host}", "slug": "a", "title": "A", "lengthInMinutes": 4},
        field="lengthInMinutes",
    ),
    Case(
        "length too long",
        "POST",
        "/event-types",
        {"hostId": "{host}", "slug": "a", "title": "A", "lengthInMinutes": 721},
        field="lengthInMinutes",
    ),
    Case(
        "window too long",
        "POST",
        "/event-types",
        {"hostId": "{host}", "slug": "a", "title": "A", "lengthInMinutes": 30, "bookingWindowDays": 731},
        field="bookingWindowDays",
    ),
    Case(
        "bad slug",
        "POST",
        "/event-types",
        {"hostId": "{host}", "slug": "Not A Slug", "title": "A", "lengthInMinutes": 30},
        field="slug",
    ),
    Case(
        "length as string",
        "POST",
        "/event-types",
        {"hostId": "{host}", "slug": "a", "title": "A", "lengthInMinutes": "30"},
        field="lengthInMinutes",
    ),
    Case(
        "host id not a uuid",
        "POST",
        "/event-types",
        {"hostId": "nope", "slug": "a", "title": "A", "lengthInMinutes": 30},
        field="hostId",
    ),
    Case("null title in patch", "PATCH", "/event-types/{event_type}", {"title": None}, field="title"),
    Case(
        "slots without event type",
        "GET",
        "/slots?start=2026-01-06&end=2026-01-06&timeZone=UTC",
        keyed=False,
        field="eventTypeId",
    ),
    Case(
        "slots bad date",
        "GET",
        "/slots?eventTypeId={event_type}&start=06/01/2026&end=2026-01-06&timeZone=UTC",
        keyed=False,
        field="start",
    ),
    Case(
        "slots end before start",
        "GET",
        "/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-05&timeZone=UTC",
        keyed=False,
        field="end",
    ),
    Case(
        "slots range too long",
        "GET",
        "/slots?eventTypeId={event_type}&start=2026-01-01&end=2026-03-04&timeZone=UTC",
        keyed=False,
        field="end",
    ),
    Case(
        "slots unknown zone",
        "GET",
        "/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-06&timeZone=Nowhere/Land",
        keyed=False,
        field="timeZone",
    ),
    Case(
        "slots unknown event type",
        "GET",
        "/slots?eventTypeId=00000000-0000-4000-8000-000000000000&start=2026-01-06&end=2026-01-06&timeZone=UTC",
        keyed=False,
        field="eventTypeId",
    ),
    Case("naive start", "POST", "/bookings", bk(start="2026-01-06T09:00:00"), keyed=False, field="start"),
    Case("start not a time", "POST", "/bookings", bk(start="not a time"), keyed=False, field="start"),
    Case("impossible start", "POST", "/bookings", bk(start="2026-13-01T09:00:00Z"), keyed=False, field="start"),
    Case(
        "unknown event type",
        "POST",
        "/bookings",
        bk(eventTypeId="00000000-0000-4000-8000-000000000000"),
        keyed=False,
        field="eventTypeId",
    ),
    Case(
        "attendee zone unknown",
        "POST",
        "/bookings",
        bk(attendee={**attendee(), "timeZone": "Atlantis"}),
        keyed=False,
        field="attendee.timeZone",
    ),
    Case(
        "attendee without email",
        "POST",
        "/bookings",
        bk(attendee={"name": "Bo", "timeZone": "UTC"}),
        keyed=False,
        field="attendee.email",
    ),
    Case(
        "body over 64 KB",
        "POST",
        "/bookings",
        bk(attendee={**attendee(), "name": "x" * 70_000}),
        keyed=False,
        status=413,
        code="payload_too_large",
    ),
    Case(
        "idempotency key too long",
        "POST",
        "/bookings",
        bk(),
        headers=(("Idempotency-Key", "k" * 256),),
        keyed=False,
        field="Idempotency-Key",
    ),
    Case(
        "idempotency key not printable",
        "POST",
        "/bookings",
        bk(),
        headers=(("Idempotency-Key", "k\u00e9y"),),
        keyed=False,
        field="Idempotency-Key",
    ),
    Case("booking taken", "POST", "/bookings", bk(), keyed=False, status=409, code="slot_unavailable", field=None),
    Case("unknown booking", "GET", "/bookings/00000000-0000-4000-8000-000000000000", status=404, code="not_found"),
    Case("booking uid not a uuid", "GET", "/bookings/12345", status=404, code="not_found"),
    Case(
        "reschedule outside hours",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "2026-01-06T20:00:00Z"},
        headers=(("X-Cancel-Token", "{token}"),),
        keyed=False,
        code="outside_availability",
        field="start",
    ),
    Case("wrong method", "DELETE", "/hosts", status=405, code="method_not_allowed"),
    Case("unknown path", "GET", "/nothing-here", status=404, code="not_found"),
]


@pytest.fixture
def world(api: Api, public: Api) -> World:
    host = make_host(api)
    event_type = make_event_type(api, host)
    made = public.post("/bookings", {"eventTypeId": event_type, "start": NINE, "attendee": attendee()})
    return World(host, event_type, made.data["uid"], made.data["cancelToken"])


def _fill(value: Any, world: World) -> Any:
    if isinstance(value, str):
        return value.format(**vars(world))
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_request_is_refused_clearly_and_writes_nothing(
    case: Case, app: Slotwise, api: Api, public: Api, world: World
) -> None:
    before = events_in(app)
    client = api if case.keyed else public
    reply = client.call(
        case.method,
        _fill(case.path, world),
        _fill(case.body, world),
        raw=case.raw,
        headers={k: _fill(v, world) for k, v in case.headers},
    )
    assert (reply.status, reply.code) == (case.status, case.code), reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["status"] == case.status and reply.body["type"].endswith(case.code)
    assert reply.body["title"] and reply.body["detail"]
    if case.field is not None:
        assert case.field in [e["field"] for e in reply.body["errors"]], reply.body
    assert events_in(app) == before


def test_the_table_is_broad_enough() -> None:
    assert len(CASES) >= 30
