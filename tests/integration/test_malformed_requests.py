"""Bad input gets the documented 4xx as problem+json (or, over GraphQL, its typed error), naming
the field, and writes nothing: no event, no side effect enqueued, no webhook, calendar or email row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from booking.application import Slotwise
from providers.models import CalendarAccount, SideEffect, WebhookDelivery, WebhookSubscription
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql
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
    raw: str | bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    keyed: bool = True
    status: int = 422
    code: str = "validation_error"
    field: str | None = None


def bk(**over: Any) -> dict[str, Any]:
    return {"eventTypeId": "{event_type}", "start": NINE, "attendee": attendee(), **over}


def person(**over: Any) -> dict[str, Any]:
    return bk(attendee={**attendee(), **over})


def nested(depth: int) -> str:
    """A JSON value nested `depth` arrays deep."""
    return "[" * depth + "]" * depth


def et(**over: Any) -> dict[str, Any]:
    return {"hostId": "{host}", "slug": "b", "title": "B", "lengthInMinutes": 30, **over}


def week(start: str = "09:00", end: str = "17:00", day: str = "monday") -> dict[str, Any]:
    return {"weekly": {day: [{"start": start, "end": end}]}}


TOKEN = (("X-Cancel-Token", "{token}"),)
TEXT = (("Content-Type", "text/plain"),)
HOOK = "https://hooks.example.com/slotwise"
CAL = {"provider": "caldav", "url": "https://cal.example.com/ada/", "username": "ada", "password": "secret"}
EMAIL_INJECTION = "bo@example.com\r\nBcc: eve@example.com"


CASES = [
    Case("malformed json", "POST", "/hosts", raw="{bad", status=400, code="malformed_json"),
    Case("truncated json", "POST", "/bookings", raw='{"eventTypeId": ', keyed=False, status=400, code="malformed_json"),
    Case("json array body", "POST", "/hosts", raw="[1, 2]", field="body"),
    Case("missing name", "POST", "/hosts", {"email": "a@b.co", "timeZone": "UTC"}, field="name"),
    Case("empty name", "POST", "/hosts", {**GOOD_HOST, "name": ""}, field="name"),
    Case("name not a string", "POST", "/hosts", {**GOOD_HOST, "name": 7}, field="name"),
    Case("bad email", "POST", "/hosts", {**GOOD_HOST, "email": "not-an-email"}, field="email"),
    Case("unknown host zone", "POST", "/hosts", {**GOOD_HOST, "timeZone": "Mars/Olympus"}, field="timeZone"),
    Case("host zone of the server", "POST", "/hosts", {**GOOD_HOST, "timeZone": "localtime"}, field="timeZone"),
    Case("host zone Factory", "POST", "/hosts", {**GOOD_HOST, "timeZone": "Factory"}, field="timeZone"),
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
        "If-Match in arabic-indic digits",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {}},
        headers=(("If-Match", '"\u0662"'),),
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
        "slots zone of the server",
        "GET",
        "/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-06&timeZone=localtime",
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
    # hosts: control characters, separators, oddities of Unicode, addresses, media types
    Case("host name with NUL", "POST", "/hosts", {**GOOD_HOST, "name": "Ada\x00"}, field="name"),
    Case("host name with line separator", "POST", "/hosts", {**GOOD_HOST, "name": "Ada\u2028Eve"}, field="name"),
    Case("host name only no-break space", "POST", "/hosts", {**GOOD_HOST, "name": "\u00a0"}, field="name"),
    Case("host name lone surrogate", "POST", "/hosts", {**GOOD_HOST, "name": "\ud800"}, field="name"),
    Case("host email trailing newline", "POST", "/hosts", {**GOOD_HOST, "email": "ada@example.com\n"}, field="email"),
    Case("host email header injection", "POST", "/hosts", {**GOOD_HOST, "email": EMAIL_INJECTION}, field="email"),
    Case(
        "host email non-ascii local part",
        "POST",
        "/hosts",
        {**GOOD_HOST, "email": "\u00e4da@example.com"},
        field="email",
    ),
    Case("host zone with NUL", "POST", "/hosts", {**GOOD_HOST, "timeZone": "Europe/Berlin\x00"}, field="timeZone"),
    Case(
        "host body nested 30,000 deep",
        "POST",
        "/hosts",
        raw=f'{{"name": {nested(30_000)}}}',
        status=400,
        code="json_too_deep",
    ),
    Case(
        "host body as text/plain", "POST", "/hosts", GOOD_HOST, headers=TEXT, status=415, code="unsupported_media_type"
    ),
    Case(
        "host body as a form",
        "POST",
        "/hosts",
        raw="name=Ada",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "host body in latin-1",
        "POST",
        "/hosts",
        GOOD_HOST,
        headers=(("Content-Type", "application/json; charset=latin-1"),),
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "host body not utf-8",
        "POST",
        "/hosts",
        raw=b'{"name": "Ad\xe9", "email": "ada@example.com", "timeZone": "UTC"}',
        status=400,
        code="malformed_json",
    ),
    Case(
        "host body in utf-16",
        "POST",
        "/hosts",
        raw=json.dumps(GOOD_HOST).encode("utf-16"),
        status=400,
        code="malformed_json",
    ),
    Case(
        "host body with a byte order mark",
        "POST",
        "/hosts",
        raw="\ufeff" + json.dumps(GOOD_HOST),
        status=400,
        code="malformed_json",
    ),
    Case(
        "idempotency key with CR/LF",
        "POST",
        "/hosts",
        GOOD_HOST,
        headers=(("Idempotency-Key", "k\r\nX-Injected: 1"),),
        field="Idempotency-Key",
    ),
    # schedules
    Case("weekday key with NUL", "PUT", "/hosts/{host}/schedule", {"weekly": {"monday\x00": [MON]}}),
    Case(
        "hour with trailing newline", "PUT", "/hosts/{host}/schedule", week("09:00\n"), field="weekly.monday[0].start"
    ),
    Case(
        "hour in full-width digits",
        "PUT",
        "/hosts/{host}/schedule",
        week("\uff10\uff19:00"),
        field="weekly.monday[0].start",
    ),
    Case(
        "hour in arabic-indic digits",
        "PUT",
        "/hosts/{host}/schedule",
        week(end="\u0661\u0667:00"),
        field="weekly.monday[0].end",
    ),
    Case(
        "override in year 9999",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {}, "overrides": [{"date": "9999-12-31", "intervals": []}]},
        field="overrides[0].date",
    ),
    Case(
        "override in full-width digits",
        "PUT",
        "/hosts/{host}/schedule",
        {"weekly": {}, "overrides": [{"date": "\uff12\uff10\uff12\uff16-01-06", "intervals": []}]},
        field="overrides[0].date",
    ),
    Case(
        "schedule as text/plain",
        "PUT",
        "/hosts/{host}/schedule",
        week(),
        headers=TEXT,
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "schedule nested 40 deep",
        "PUT",
        "/hosts/{host}/schedule",
        raw=f'{{"weekly": {{"monday": {nested(40)}}}}}',
        status=400,
        code="json_too_deep",
    ),
    # event types
    Case("slug with trailing newline", "POST", "/event-types", et(slug="intro\n"), field="slug"),
    Case("slug in full-width letters", "POST", "/event-types", et(slug="\uff49\uff4e\uff54\uff52\uff4f"), field="slug"),
    Case("title with NUL", "POST", "/event-types", et(title="Intro\x00"), field="title"),
    Case("title with paragraph separator", "POST", "/event-types", et(title="Intro\u2029"), field="title"),
    Case(
        "length in arabic-indic digits",
        "POST",
        "/event-types",
        et(lengthInMinutes="\u0663\u0660"),
        field="lengthInMinutes",
    ),
    Case("length as a fraction", "POST", "/event-types", et(lengthInMinutes=30.5), field="lengthInMinutes"),
    Case(
        "length of 5,000 digits",
        "POST",
        "/event-types",
        raw=json.dumps(et(lengthInMinutes=0)).replace('"lengthInMinutes": 0', '"lengthInMinutes": ' + "9" * 5000),
        status=400,
        code="malformed_json",
    ),
    Case(
        "length beyond float range",
        "POST",
        "/event-types",
        raw=json.dumps(et()).replace(": 30", ": 1e400"),
        field="lengthInMinutes",
    ),
    Case(
        "event type as text/plain",
        "POST",
        "/event-types",
        et(),
        headers=TEXT,
        status=415,
        code="unsupported_media_type",
    ),
    Case("patched title with escape", "PATCH", "/event-types/{event_type}", {"title": "\x1b[31mred"}, field="title"),
    Case("patched slug with newline", "PATCH", "/event-types/{event_type}", {"slug": "intro\n"}, field="slug"),
    Case(
        "patched buffer as superscript",
        "PATCH",
        "/event-types/{event_type}",
        {"bufferBeforeMinutes": "\u00b2"},
        field="bufferBeforeMinutes",
    ),
    Case(
        "patch as text/plain",
        "PATCH",
        "/event-types/{event_type}",
        {"title": "X"},
        headers=TEXT,
        status=415,
        code="unsupported_media_type",
    ),
    # bookings: the attendee
    Case("attendee name with NUL", "POST", "/bookings", person(name="Bo\x00"), keyed=False, field="attendee.name"),
    Case(
        "attendee name lone surrogate", "POST", "/bookings", person(name="\udfff"), keyed=False, field="attendee.name"
    ),
    Case(
        "attendee name with line separator",
        "POST",
        "/bookings",
        person(name="Bo\u2028"),
        keyed=False,
        field="attendee.name",
    ),
    Case(
        "attendee name only no-break space",
        "POST",
        "/bookings",
        person(name="\u00a0\u00a0"),
        keyed=False,
        field="attendee.name",
    ),
    Case(
        "attendee email trailing newline",
        "POST",
        "/bookings",
        person(email="bo@example.com\n"),
        keyed=False,
        field="attendee.email",
    ),
    Case(
        "attendee email header injection",
        "POST",
        "/bookings",
        person(email=EMAIL_INJECTION),
        keyed=False,
        field="attendee.email",
    ),
    Case(
        "attendee email non-ascii local part",
        "POST",
        "/bookings",
        person(email="b\u00f6@example.com"),
        keyed=False,
        field="attendee.email",
    ),
    Case(
        "attendee zone with NUL",
        "POST",
        "/bookings",
        person(timeZone="UTC\x00"),
        keyed=False,
        field="attendee.timeZone",
    ),
    # bookings: the start
    Case("start in year 9999", "POST", "/bookings", bk(start="9999-12-31T23:59:59Z"), keyed=False, field="start"),
    Case(
        "start in year 1 at +14:00",
        "POST",
        "/bookings",
        bk(start="0001-01-01T00:00:00+14:00"),
        keyed=False,
        field="start",
    ),
    Case("start in year 0", "POST", "/bookings", bk(start="0000-01-01T00:00:00Z"), keyed=False, field="start"),
    Case("start on a leap second", "POST", "/bookings", bk(start="2026-01-06T23:59:60Z"), keyed=False, field="start"),
    Case(
        "start in full-width digits",
        "POST",
        "/bookings",
        bk(start="\uff12\uff10\uff12\uff16-01-06T08:00:00Z"),
        keyed=False,
        field="start",
    ),
    Case(
        "start at offset +24:00", "POST", "/bookings", bk(start="2026-01-07T08:00:00+24:00"), keyed=False, field="start"
    ),
    Case("start with trailing newline", "POST", "/bookings", bk(start=NINE + "\n"), keyed=False, field="start"),
    Case(
        "start at +14:00, taken",
        "POST",
        "/bookings",
        bk(start="2026-01-06T22:00:00+14:00"),
        keyed=False,
        status=409,
        code="slot_unavailable",
    ),
    Case(
        "start at -12:00, taken",
        "POST",
        "/bookings",
        bk(start="2026-01-05T20:00:00-12:00"),
        keyed=False,
        status=409,
        code="slot_unavailable",
    ),
    Case(
        "start at +23:59, taken",
        "POST",
        "/bookings",
        bk(start="2026-01-07T07:59:00+23:59"),
        keyed=False,
        status=409,
        code="slot_unavailable",
    ),
    # bookings: the envelope
    Case(
        "booking as text/plain",
        "POST",
        "/bookings",
        bk(),
        headers=TEXT,
        keyed=False,
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "booking without a media type",
        "POST",
        "/bookings",
        bk(),
        headers=(("Content-Type", ""),),
        keyed=False,
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "booking nested 30,000 deep",
        "POST",
        "/bookings",
        raw=f'{{"attendee": {nested(30_000)}}}',
        keyed=False,
        status=400,
        code="json_too_deep",
    ),
    Case(
        "idempotency key with trailing newline",
        "POST",
        "/bookings",
        bk(),
        headers=(("Idempotency-Key", "abc\n"),),
        keyed=False,
        field="Idempotency-Key",
    ),
    # reschedule and cancel
    Case(
        "reschedule to year 9999",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "9999-12-31T23:59:59Z"},
        headers=TOKEN,
        keyed=False,
        field="start",
    ),
    Case(
        "reschedule to year 1",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "0001-01-01T00:00:00+14:00"},
        headers=TOKEN,
        keyed=False,
        field="start",
    ),
    Case(
        "reschedule start with NUL",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "\x00"},
        headers=TOKEN,
        keyed=False,
        field="start",
    ),
    Case(
        "reschedule with non-ascii token",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "2026-01-06T09:00:00Z"},
        headers=(("X-Cancel-Token", "t\u00f6ken"),),
        keyed=False,
        status=404,
        code="not_found",
    ),
    Case(
        "reschedule with CR/LF in token",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": "2026-01-06T09:00:00Z"},
        headers=(("X-Cancel-Token", "{token}\r\nX-Injected: 1"),),
        keyed=False,
        status=404,
        code="not_found",
    ),
    Case(
        "reschedule as text/plain",
        "POST",
        "/bookings/{booking}/reschedule",
        {"start": NINE},
        headers=TOKEN + TEXT,
        keyed=False,
        status=415,
        code="unsupported_media_type",
    ),
    Case(
        "reason with NUL",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "ill\x00"},
        headers=TOKEN,
        keyed=False,
        field="reason",
    ),
    Case(
        "reason with carriage return",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "ill\r\nsorry"},
        headers=TOKEN,
        keyed=False,
        field="reason",
    ),
    Case(
        "reason with line separator",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "ill\u2028"},
        headers=TOKEN,
        keyed=False,
        field="reason",
    ),
    Case(
        "reason over 500",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "\u0663" * 501},
        headers=TOKEN,
        keyed=False,
        field="reason",
    ),
    Case(
        "cancel with non-ascii token",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "ill"},
        headers=(("X-Cancel-Token", "\u00e9"),),
        keyed=False,
        status=404,
        code="not_found",
    ),
    Case(
        "cancel as text/plain",
        "POST",
        "/bookings/{booking}/cancel",
        {"reason": "x"},
        headers=TOKEN + TEXT,
        keyed=False,
        status=415,
        code="unsupported_media_type",
    ),
    # webhooks
    Case("webhook url with NUL", "POST", "/webhooks", {"url": HOOK + "\x00", "events": ["*"]}, field="url"),
    Case(
        "webhook url with full-width host",
        "POST",
        "/webhooks",
        {"url": "https://exa\uff03mple.com/", "events": ["*"]},
        field="url",
    ),
    Case("webhook url with an unpaired [", "POST", "/webhooks", {"url": "http://[::1", "events": ["*"]}, field="url"),
    Case("webhook url with an unpaired ]", "POST", "/webhooks", {"url": "http://a]b/", "events": ["*"]}, field="url"),
    Case(
        "webhook url with an IPvFuture host",
        "POST",
        "/webhooks",
        {"url": "http://[v1.x]/", "events": ["*"]},
        field="url",
    ),
    Case(
        "webhook event with newline",
        "POST",
        "/webhooks",
        {"url": HOOK, "events": ["booking.created\n"]},
        field="events[0]",
    ),
    Case(
        "webhook secret with NUL",
        "POST",
        "/webhooks",
        {"url": HOOK, "events": ["*"], "secret": "s" * 20 + "\x00"},
        field="secret",
    ),
    Case(
        "webhook as text/plain",
        "POST",
        "/webhooks",
        {"url": HOOK, "events": ["*"]},
        headers=TEXT,
        status=415,
        code="unsupported_media_type",
    ),
    # calendars
    Case("calendar url with NUL", "POST", "/hosts/{host}/calendars", {**CAL, "url": CAL["url"] + "\x00"}, field="url"),
    Case(
        "calendar url with full-width host",
        "POST",
        "/hosts/{host}/calendars",
        {**CAL, "url": "https://c\uff0eexample.com/"},
        field="url",
    ),
    Case(
        "calendar url with an unpaired ]",
        "POST",
        "/hosts/{host}/calendars",
        {**CAL, "url": "https://a]b/"},
        field="url",
    ),
    Case(
        "calendar url with an unpaired [",
        "POST",
        "/hosts/{host}/calendars",
        {**CAL, "url": "https://[::1/cal/"},
        field="url",
    ),
    Case(
        "calendar username with CR/LF",
        "POST",
        "/hosts/{host}/calendars",
        {**CAL, "username": "ada\r\n"},
        field="username",
    ),
    Case(
        "calendar password with NUL", "POST", "/hosts/{host}/calendars", {**CAL, "password": "pw\x00"}, field="password"
    ),
    Case(
        "calendar as text/plain",
        "POST",
        "/hosts/{host}/calendars",
        CAL,
        headers=TEXT,
        status=415,
        code="unsupported_media_type",
    ),
]


RESCHEDULE = """mutation($input: BookingRescheduleInput!) {
  bookingReschedule(input: $input) { booking { uid } errors { field code message } }
}"""
CANCEL = """mutation($input: BookingCancelInput!) {
  bookingCancel(input: $input) { booking { uid } errors { field code message } }
}"""


def apq(digest: str) -> dict[str, Any]:
    """A GraphQL request naming a persisted query by its hash only."""
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}


@dataclass(frozen=True)
class GqlCase:
    """A hostile GraphQL request: a mutation's input (or a raw body) and the refusal it must get."""

    name: str
    mutation: str = "bookingCreate"
    input: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None
    content_type: str = "application/json"
    token: str | None = "{token}"
    status: int = 200
    code: str = "validation_error"
    field: str | None = None  # a typed error of the payload; None: a request-level error


def gbk(**over: Any) -> dict[str, Any]:
    return {"eventTypeId": "{event_type}", "start": NINE, "attendee": attendee(), **over}


def gperson(**over: Any) -> dict[str, Any]:
    return gbk(attendee={**attendee(), **over})


GQL_CASES = [
    GqlCase("name with NUL", input=gperson(name="Bo\x00"), field="attendee.name"),
    GqlCase("name lone surrogate", input=gperson(name="\ud800"), field="attendee.name"),
    GqlCase("name with line separator", input=gperson(name="Bo\u2028"), field="attendee.name"),
    GqlCase("email trailing newline", input=gperson(email="bo@example.com\n"), field="attendee.email"),
    GqlCase("email header injection", input=gperson(email=EMAIL_INJECTION), field="attendee.email"),
    GqlCase("email non-ascii local part", input=gperson(email="b\u00f6@example.com"), field="attendee.email"),
    GqlCase("zone with NUL", input=gperson(timeZone="UTC\x00"), field="attendee.timeZone"),
    GqlCase("start in year 9999", input=gbk(start="9999-12-31T23:59:59Z"), field="start"),
    GqlCase("start in year 1 at +14:00", input=gbk(start="0001-01-01T00:00:00+14:00"), field="start"),
    GqlCase("start in full-width digits", input=gbk(start="\uff12\uff10\uff12\uff16-01-06T08:00:00Z"), field="start"),
    GqlCase("idempotency key with newline", input=gbk(idempotencyKey="abc\n"), field="idempotencyKey"),
    GqlCase(
        "event type id in full-width digits",
        input=gbk(eventTypeId="\uff11" + "0" * 7 + "-0000-4000-8000-000000000000"),
        field="eventTypeId",
    ),
    GqlCase(
        "reschedule to year 9999",
        "bookingReschedule",
        {"uid": "{booking}", "start": "9999-12-31T23:59:59Z"},
        field="start",
    ),
    GqlCase(
        "reschedule with non-ascii token",
        "bookingReschedule",
        {"uid": "{booking}", "start": "2026-01-06T09:00:00Z"},
        token="t\u00f6ken",
        code="not_found",
        field="uid",
    ),
    GqlCase("reason with NUL", "bookingCancel", {"uid": "{booking}", "reason": "ill\x00"}, field="reason"),
    GqlCase("reason with carriage return", "bookingCancel", {"uid": "{booking}", "reason": "ill\r\n"}, field="reason"),
    GqlCase(
        "cancel with non-ascii token",
        "bookingCancel",
        {"uid": "{booking}"},
        token="\u00e9",
        code="not_found",
        field="uid",
    ),
    GqlCase("body nested 30,000 deep", raw=f'{{"query": {nested(30_000)}}}', status=400, code="json_too_deep"),
    GqlCase("document a lone surrogate", raw=json.dumps({"query": "\ud800"}), status=400, code="bad_request"),
    GqlCase(
        "document with a lone surrogate in a string",
        raw=json.dumps({"query": '{ host(id: "\udfff") { id } }'}),
        status=400,
        code="bad_request",
    ),
    GqlCase(
        "operationName a lone surrogate",
        raw=json.dumps({"query": "query A { __typename }", "operationName": "\ud800"}),
        status=400,
        code="bad_request",
    ),
    *(
        GqlCase(f"persisted query hash {name}", raw=json.dumps(apq(digest)), status=400, code="bad_request")
        for name, digest in {
            "of NULs": "\x00" * 64,
            "with a lone surrogate": "\ud800" + "a" * 63,
            "of spaces": " " * 64,
            "a path": "../" * 21 + "a",
            "in capitals": "A" * 64,
        }.items()
    ),
    GqlCase("body as text/plain", input=gbk(), content_type="text/plain", status=415, code="unsupported_media_type"),
]
MUTATIONS = {"bookingCreate": BOOK, "bookingReschedule": RESCHEDULE, "bookingCancel": CANCEL}


@pytest.fixture
def world(api: Api, public: Api) -> World:
    host = make_host(api)
    event_type = make_event_type(api, host)
    made = public.post("/bookings", {"eventTypeId": event_type, "start": NINE, "attendee": attendee()})
    return World(host, event_type, made.data["uid"], made.data["cancelToken"])


def _fill(value: Any, world: World) -> Any:
    """The case's placeholders ({host}, {event_type}, {booking}, {token}) filled in."""
    if isinstance(value, str):
        return value.format(**vars(world))
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _written(app: Slotwise) -> tuple[int, ...]:
    """Everything a request could leave behind: events, and rows of the outside world's ledger."""
    ledger = (SideEffect, WebhookSubscription, WebhookDelivery, CalendarAccount)
    return (events_in(app), *(model.objects.count() for model in ledger))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_request_is_refused_clearly_and_writes_nothing(
    case: Case, app: Slotwise, api: Api, public: Api, world: World
) -> None:
    before = _written(app)
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
    assert _written(app) == before


@pytest.mark.parametrize("case", GQL_CASES, ids=[c.name for c in GQL_CASES])
def test_bad_mutation_is_refused_with_its_code_and_writes_nothing(case: GqlCase, app: Slotwise, world: World) -> None:
    before = _written(app)
    gql = Gql(cancel_token=_fill(case.token, world) if case.token else None)
    if case.raw is not None or case.content_type != "application/json":
        body = case.raw or json.dumps(
            {"query": MUTATIONS[case.mutation], "variables": {"input": _fill(case.input, world)}}
        )
        reply = gql.raw(body, content_type=case.content_type)
    else:
        reply = gql(MUTATIONS[case.mutation], {"input": _fill(case.input, world)})
    assert reply.status == case.status, reply.body
    if case.field is None:
        assert reply.codes == [case.code], reply.body
    else:
        payload = reply.data[case.mutation]
        assert payload["booking"] is None, reply.body
        assert (case.field, case.code) in [(e["field"], e["code"]) for e in payload["errors"]], reply.body
    assert _written(app) == before


WRITES = {
    ("POST", "/hosts"),
    ("PUT", "/hosts/{host}/schedule"),
    ("POST", "/event-types"),
    ("PATCH", "/event-types/{event_type}"),
    ("POST", "/bookings"),
    ("POST", "/bookings/{booking}/reschedule"),
    ("POST", "/bookings/{booking}/cancel"),
    ("POST", "/webhooks"),
    ("POST", "/hosts/{host}/calendars"),
}


def test_the_table_is_broad_enough() -> None:
    # at least 60 hostile REST requests, reaching every write endpoint of both APIs
    assert len(CASES) >= 60
    assert {(c.method, c.path) for c in CASES} >= WRITES
    assert set(MUTATIONS) <= {c.mutation for c in GQL_CASES} and len(GQL_CASES) >= 15


# GraphQL query arguments: the reads' own hostile inputs, refused as errors with `extensions.code`
AGENDA_ARGS = """query($q: String, $after: String, $first: Int, $from: String, $to: String, $minPosition: BigInt,
  $hostId: ID) {
  agenda(q: $q, after: $after, first: $first, from: $from, to: $to, minPosition: $minPosition, hostId: $hostId) {
    edges { node { uid } }
  }
}"""
STATS_ARGS = """query($from: String, $to: String, $minPosition: BigInt) {
  agendaStats(from: $from, to: $to, minPosition: $minPosition) { key }
}"""
SLOTS_ARGS = """query($eventTypeId: ID!, $start: String!, $end: String!, $timeZone: String!, $minPosition: BigInt) {
  slots(eventTypeId: $eventTypeId, start: $start, end: $end, timeZone: $timeZone, minPosition: $minPosition) { date }
}"""
BOOKING_ARGS = """query($uid: ID!, $minPosition: BigInt) { booking(uid: $uid, minPosition: $minPosition) { uid } }"""
QUERIES = {"agenda": AGENDA_ARGS, "agendaStats": STATS_ARGS, "slots": SLOTS_ARGS, "booking": BOOKING_ARGS}


@dataclass(frozen=True)
class GqlQueryCase:
    """A hostile argument of a root query field and the error it must get: its code, and the field a
    validation error names (None: a request-level error, such as a `first` whose cost is refused)."""

    name: str
    query: str
    variables: dict[str, Any]
    code: str = "validation_error"
    field: str | None = None


def slots_of(**over: Any) -> dict[str, Any]:
    return {"eventTypeId": "{event_type}", "start": "2026-01-06", "end": "2026-01-06", "timeZone": "UTC", **over}


UID = "12345678-1234-4234-8234-123456789abc"
GQL_QUERY_CASES = [
    GqlQueryCase("agenda q with NUL", "agenda", {"q": "a\x00b"}, field="q"),
    GqlQueryCase("agenda q lone surrogate", "agenda", {"q": "\ud800"}, field="q"),
    GqlQueryCase("agenda q with line separator", "agenda", {"q": "a\u2028b"}, field="q"),
    GqlQueryCase("agenda q of 201 characters", "agenda", {"q": "a" * 201}, field="q"),
    GqlQueryCase("agenda q of 5,000 characters", "agenda", {"q": "a" * 5000}, field="q"),
    GqlQueryCase("agenda after not a cursor", "agenda", {"after": "not a cursor!"}, field="after"),
    GqlQueryCase("agenda after of 60,000 characters", "agenda", {"after": "A" * 60_000}, field="after"),
    GqlQueryCase("agenda first 0", "agenda", {"first": 0}, field="first"),
    GqlQueryCase("agenda first 101", "agenda", {"first": 101}, field="first"),
    GqlQueryCase("agenda first a million", "agenda", {"first": 1_000_000}, code="query_too_costly"),
    GqlQueryCase("agenda first beyond 32 bits", "agenda", {"first": 2**31}, code="query_too_costly"),
    GqlQueryCase("agenda from in year 9999", "agenda", {"from": "9999-12-31"}, field="from"),
    GqlQueryCase("agenda to in year 1", "agenda", {"to": "0001-01-01"}, field="to"),
    GqlQueryCase("agenda from in year 1899", "agenda", {"from": "1899-12-31"}, field="from"),
    GqlQueryCase(
        "agenda from in full-width digits", "agenda", {"from": "\uff12\uff10\uff12\uff16-01-06"}, field="from"
    ),
    GqlQueryCase("agenda to before from", "agenda", {"from": "2026-01-06", "to": "2026-01-05"}, field="to"),
    GqlQueryCase("agenda hostId in braces", "agenda", {"hostId": "{{" + UID + "}}"}, field="hostId"),
    GqlQueryCase("agenda minPosition negative", "agenda", {"minPosition": -1}, field="minPosition"),
    GqlQueryCase("agenda minPosition of 19 digits", "agenda", {"minPosition": 10**18}, field="minPosition"),
    GqlQueryCase("agenda minPosition beyond 64 bits", "agenda", {"minPosition": 2**70}, field="minPosition"),
    *(
        GqlQueryCase(f"agenda minPosition {name}", "agenda", {"minPosition": value}, field="minPosition")
        for name, value in (
            ("in Arabic-Indic digits", "\u0661\u0662"),
            ("in full-width digits", "\uff11"),
            ("superscript", "\u00b2"),
            ("true", True),
            ("a fraction", 1.5),
            ("a whole float", 12.0),
            ("with an underscore", "1_000"),
            ("with spaces", " 12 "),
            ("in exponent notation", "1e3"),
            ("as negative text", "-1"),
            ("of 19 digits as text", "1" * 19),
            ("a list", [1]),
        )
    ),
    GqlQueryCase("agendaStats from in year 3000", "agendaStats", {"from": "3000-01-01"}, field="from"),
    GqlQueryCase("agendaStats minPosition true", "agendaStats", {"minPosition": True}, field="minPosition"),
    GqlQueryCase("agendaStats minPosition negative", "agendaStats", {"minPosition": -5}, field="minPosition"),
    GqlQueryCase("slots start not a date", "slots", slots_of(start="06/01/2026"), field="start"),
    GqlQueryCase("slots end in year 9999", "slots", slots_of(end="9999-12-31"), field="end"),
    GqlQueryCase("slots start impossible", "slots", slots_of(start="2026-02-30"), field="start"),
    GqlQueryCase("slots range too long", "slots", slots_of(start="2026-01-01", end="2026-03-04"), field="end"),
    GqlQueryCase("slots unknown zone", "slots", slots_of(timeZone="Mars/Olympus"), field="timeZone"),
    GqlQueryCase("slots zone with NUL", "slots", slots_of(timeZone="UTC\x00"), field="timeZone"),
    GqlQueryCase("slots zone of the server", "slots", slots_of(timeZone="localtime"), field="timeZone"),
    GqlQueryCase("slots minPosition of 19 digits", "slots", {**slots_of(), "minPosition": 10**18}, field="minPosition"),
    GqlQueryCase(
        "slots minPosition in Arabic-Indic digits",
        "slots",
        {**slots_of(), "minPosition": "\u0661"},
        field="minPosition",
    ),
    GqlQueryCase("booking uid in braces", "booking", {"uid": "{{" + UID + "}}"}, field="uid"),
    GqlQueryCase("booking uid as a urn", "booking", {"uid": f"urn:uuid:{UID}"}, field="uid"),
    GqlQueryCase("booking uid without hyphens", "booking", {"uid": UID.replace("-", "")}, field="uid"),
    GqlQueryCase("booking uid in full-width digits", "booking", {"uid": "\uff11" + UID[1:]}, field="uid"),
    GqlQueryCase("booking minPosition negative", "booking", {"uid": UID, "minPosition": -1}, field="minPosition"),
    GqlQueryCase("booking minPosition a fraction", "booking", {"uid": UID, "minPosition": 0.5}, field="minPosition"),
]


@pytest.mark.parametrize("case", GQL_QUERY_CASES, ids=[c.name for c in GQL_QUERY_CASES])
def test_bad_query_argument_is_refused_with_its_code_and_writes_nothing(
    case: GqlQueryCase, app: Slotwise, api_key: str, world: World
) -> None:
    # given the organisation's key and a booked world
    before = _written(app)
    # when a read is asked with one hostile argument
    reply = Gql(api_key)(QUERIES[case.query], _fill(case.variables, world))
    # then it answers one error with the documented code, naming the argument, and no data for the field
    assert reply.status == 200 and reply.codes == [case.code], reply.body
    if case.field is not None:
        (error,) = reply.errors
        assert error["extensions"]["field"] == case.field, reply.body
        assert case.field in [e["field"] for e in error["extensions"]["errors"]], reply.body
        assert (reply.data or {}).get(case.query) is None, reply.body
    assert _written(app) == before


def test_the_query_table_reaches_every_read_with_arguments() -> None:
    assert {c.query for c in GQL_QUERY_CASES} == set(QUERIES) and len(GQL_QUERY_CASES) >= 30


# minPosition takes REST's rule (booking.inputs.position): a JSON integer, or text of 1 to 18 ASCII
# digits, from 0 to 10^18 - 1. Anything int() or float() would take besides is refused, unwaited.
HOSTILE_POSITIONS = ["\u0661\u0662", "\uff11", "\u00b2", True, 1.5, "1_000", " 12 ", "1e3", -1, 10**18, "1" * 19]


def _waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions reads wait for from now on (the views are taken to have reached them)."""
    asked: list[int] = []

    def caught_up(views: tuple[str, ...], position: int, timeout: float | None = None) -> bool:
        asked.append(position)
        return True

    monkeypatch.setattr("projections.reads.caught_up", caught_up)
    return asked


@pytest.mark.parametrize("value", HOSTILE_POSITIONS, ids=repr)
def test_a_min_position_int_would_take_is_refused_as_a_variable_and_as_a_literal_and_nothing_waits(
    api_key: str, monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    waits = _waits(monkeypatch)
    gql = Gql(api_key)
    # as a variable: a validation error naming minPosition, as REST's 422; nothing runs
    variable = gql("query($p: BigInt) { agenda(minPosition: $p) { edges { cursor } } }", {"p": value})
    assert variable.status == 200 and variable.codes == ["validation_error"], variable.body
    assert variable.errors[0]["extensions"]["field"] == "minPosition" and "data" not in variable.body
    assert "minPosition" in variable.errors[0]["message"]
    # inline: the document does not validate, as any argument of the wrong type
    literal = gql(f"{{ agenda(minPosition: {json.dumps(value, ensure_ascii=False)}) {{ edges {{ cursor }} }} }}")
    assert literal.status == 200 and literal.codes == ["graphql_validation_failed"], literal.body
    assert "minPosition" in literal.errors[0]["message"], literal.body
    assert waits == []


def test_a_min_position_as_an_integer_or_ascii_digits_waits_for_that_position(
    api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits = _waits(monkeypatch)
    gql = Gql(api_key)
    for value in (12, "13", 0, 10**18 - 1, "000000000000000014"):
        reply = gql("query($p: BigInt) { agenda(minPosition: $p) { edges { cursor } } }", {"p": value})
        assert not reply.errors, reply.body
    for literal in ("15", '"16"'):
        reply = gql(f"{{ agenda(minPosition: {literal}) {{ edges {{ cursor }} }} }}")
        assert not reply.errors, reply.body
    assert waits == [12, 13, 0, 10**18 - 1, 14, 15, 16]
