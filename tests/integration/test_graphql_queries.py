"""GraphQL reads: from the views (SQL or Elasticsearch), batched, scoped to the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.api_keys import create_api_key
from booking.application import Slotwise
from projections.elastic.applier import EsApplier
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql, operation

AGENDA = operation("agenda")
NESTED = """
query Nested($first: Int) {
  agenda(first: $first) {
    edges { node { uid host { name timeZone } eventType { slug title }
      attendee { email bookings(first: 3) { uid eventType { title } } } } }
  }
}
"""


def _book(public: Api, event_type: str, start: str, name: str = "Bo", email: str = "bo@example.com") -> str:
    made = public.post(
        "/bookings",
        {"eventTypeId": event_type, "start": start, "attendee": {**attendee(), "name": name, "email": email}},
    )
    assert made.status == 201, made.body
    return str(made.data["uid"])


def _weekday_starts(count: int, first: date = date(2026, 1, 6)) -> list[str]:
    """`count` free half-hour starts, 09:00-16:30 Berlin, on weekdays from `first`."""
    starts: list[str] = []
    day = first
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [f"{day}T{8 + n // 2:02d}:{30 * (n % 2):02d}:00Z" for n in range(16)]
        day += timedelta(days=1)
    return starts[:count]


def test_agenda_with_nested_host_and_event_type_matches_the_rest_agenda(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host, title="Intro call")
    for n, start in enumerate(_weekday_starts(3)):
        _book(public, event_type, start, name=f"N{n}")
    project()
    reply = Gql(api_key)(AGENDA, {"first": 2})
    assert reply.status == 200 and not reply.errors, reply.body
    page = reply.data["agenda"]
    rest = api.get("/agenda?limit=2")
    assert [e["node"]["uid"] for e in page["edges"]] == [e["uid"] for e in rest.data]
    node = page["edges"][0]["node"]
    assert node["startLocal"] == rest.data[0]["startLocal"] == "2026-01-06T09:00:00+01:00"
    assert node["host"] == {"id": host, "name": "Ada", "timeZone": "Europe/Berlin"}
    assert node["eventType"] == {"id": event_type, "slug": "intro", "title": "Intro call", "lengthInMinutes": 30}
    assert node["attendee"] == {"name": "N0", "email": "bo@example.com", "timeZone": "America/New_York"}
    assert node["status"] == "ACCEPTED"
    assert page["pageInfo"]["hasNextPage"] is True
    rest_page = Gql(api_key)(AGENDA, {"first": 2, "after": page["pageInfo"]["endCursor"]}).data["agenda"]
    assert [e["node"]["attendee"]["name"] for e in rest_page["edges"]] == ["N2"]
    assert rest_page["pageInfo"] == {"hasNextPage": False, "endCursor": None}


def _queries_for(gql: Gql, first: int) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        reply = gql(NESTED, {"first": first})
    assert reply.status == 200 and not reply.errors, reply.body
    return len(captured.captured_queries), reply.data


def test_nested_agenda_costs_the_same_queries_for_5_and_50_bookings(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    hosts = [make_host(api), make_host(api)]
    types = [make_event_type(api, h, title=f"Type {i}") for i, h in enumerate(hosts)]
    starts = _weekday_starts(25)
    made = [
        _book(public, types[i % 2], starts[i // 2], email=f"guest{i % 7}@example.com")
        for i in range(5)  # the first five: both hosts, both types, several attendees
    ]
    project()
    gql = Gql(api_key)
    few, few_data = _queries_for(gql, 50)
    assert len(few_data["agenda"]["edges"]) == 5
    made += [_book(public, types[i % 2], starts[i // 2], email=f"guest{i % 7}@example.com") for i in range(5, 50)]
    project()
    many, many_data = _queries_for(gql, 50)
    assert len(many_data["agenda"]["edges"]) == 50
    assert many == few, f"{few} queries for 5 bookings, {many} for 50"
    node = many_data["agenda"]["edges"][-1]["node"]
    assert node["host"]["name"] == "Ada" and node["eventType"]["title"] in ("Type 0", "Type 1")
    assert len(node["attendee"]["bookings"]) == 3


def test_hosts_event_types_and_bookings_are_scoped_to_the_caller(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host)
    made = public.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-01-06T08:00:00Z", "attendee": attendee()}
    )
    uid, token = made.data["uid"], made.data["cancelToken"]
    project()
    query = """query($h: ID!, $e: ID!, $u: ID!) {
      host(id: $h) { name email eventTypes { id slug bookingWindowDays slotIntervalMinutes maxBookingsPerDay } }
      eventType(id: $e) { title host { id } }
      booking(uid: $u) { uid title hostTimeZone }
    }"""
    ids = {"h": host, "e": event_type, "u": uid}
    mine = Gql(api_key)(query, ids)
    assert not mine.errors, mine.body
    assert mine.data["host"]["eventTypes"] == [
        {
            "id": event_type,
            "slug": "intro",
            "bookingWindowDays": 60,
            "slotIntervalMinutes": 30,
            "maxBookingsPerDay": None,
        }
    ]
    assert mine.data["eventType"]["host"]["id"] == host and mine.data["booking"]["uid"] == uid
    theirs = Gql(create_api_key("globex"))(query, ids)
    assert theirs.data == {"host": None, "eventType": None, "booking": None}
    assert sorted(theirs.codes) == ["not_found"] * 3
    anonymous = Gql()(query, ids)
    assert sorted(anonymous.codes) == ["not_found", "unauthorized", "unauthorized"]
    by_token = Gql(cancel_token=token)("query($u: ID!) { booking(uid: $u) { uid } }", {"u": uid})
    assert by_token.data == {"booking": {"uid": uid}}
    wrong = token[:-2] + ("yy" if token.endswith("xx") else "xx")  # never the token itself
    wrong_token = Gql(cancel_token=wrong)("query($u: ID!) { booking(uid: $u) { uid } }", {"u": uid})
    assert wrong_token.data == {"booking": None} and wrong_token.codes == ["not_found"]
    # a cancel token opens one booking, not the attendee's others
    others = Gql(cancel_token=token)(
        "query($u: ID!) { booking(uid: $u) { attendee { bookings { uid } } } }", {"u": uid}
    )
    assert others.codes == ["forbidden"]


def test_slots_and_stats_answer_as_rest_does(api: Api, public: Api, project: Callable[[], None], api_key: str) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host)
    _book(public, event_type, "2026-01-06T08:00:00Z")
    project()
    args = {"eventTypeId": event_type, "start": "2026-01-06", "end": "2026-01-09", "timeZone": "Asia/Kolkata"}
    reply = Gql()(operation("slots"), args)
    rest = public.get(f"/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-09&timeZone=Asia/Kolkata")
    assert {d["date"]: d["slots"] for d in reply.data["slots"]} == rest.data
    bad = Gql()(operation("slots"), {**args, "end": "2026-05-01", "timeZone": "Mars/Olympus"})
    assert bad.codes == ["validation_error"] and bad.data is None
    fields = {e["field"] for e in bad.errors[0]["extensions"]["errors"]}
    assert fields == {"end", "timeZone"}
    stats = Gql(api_key)("{ agendaStats(groupBy: EVENT_TYPE) { key bookings cancelled bookedMinutes } }")
    assert stats.data["agendaStats"] == api.get("/agenda/stats?groupBy=eventType").data


def test_list_sizes_and_cursors_are_checked(api: Api, api_key: str) -> None:
    gql = Gql(api_key)
    for first in (0, 101):
        assert gql(AGENDA, {"first": first}).codes == ["validation_error"]
    reply = gql(AGENDA, {"after": "not-a-cursor"})
    assert reply.codes == ["validation_error"] and reply.errors[0]["extensions"]["field"] == "after"
    reply = gql("query($h: ID!) { host(id: $h) { name } }", {"h": "nope"})
    assert reply.codes == ["validation_error"] and reply.errors[0]["extensions"]["field"] == "id"


def test_min_position_waits_for_the_views_then_says_not_caught_up(api: Api, public: Api, api_key: str) -> None:
    host = make_host(api)
    made = public.post(
        "/bookings",
        {"eventTypeId": make_event_type(api, host), "start": "2026-01-06T08:00:00Z", "attendee": attendee()},
    )
    reply = Gql(api_key)(
        "query($p: BigInt) { agenda(minPosition: $p) { edges { node { uid } } } }", {"p": made.body["meta"]["position"]}
    )
    assert reply.codes == ["not_caught_up"] and reply.errors[0]["extensions"]["retryAfter"] == 1


def test_the_elasticsearch_store_answers_the_same_nested_query(
    app: Slotwise, api: Api, public: Api, project: Callable[[], None], api_key: str, es: Any, settings: Any
) -> None:
    hosts = [make_host(api), make_host(api)]
    types = [make_event_type(api, h, title=f"T{i}") for i, h in enumerate(hosts)]
    starts = _weekday_starts(3)
    for i in range(6):
        _book(public, types[i % 2], starts[i // 2], email=f"g{i % 3}@example.com")
    api.patch(f"/event-types/{types[0]}", {"title": "Renamed"})
    project()
    for view in VIEWS.values():
        Projector(view, LogSource(app), applier=EsApplier(view=view, es=es)).catch_up()
    gql = Gql(api_key)
    from_sql = gql(NESTED, {"first": 50})
    settings.SLOTWISE_READ_STORE = "elasticsearch"
    from_es = gql(NESTED, {"first": 50})
    assert not from_sql.errors and not from_es.errors, (from_sql.body, from_es.body)
    assert from_es.data == from_sql.data and len(from_es.data["agenda"]["edges"]) == 6
    titles = {e["node"]["eventType"]["title"] for e in from_es.data["agenda"]["edges"]}
    assert titles == {"Renamed", "T1"}
