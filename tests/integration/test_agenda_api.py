"""The agenda view over REST: filters, search, pages, stats, tenancy and read-your-writes."""

from __future__ import annotations

from collections.abc import Callable

from booking.api_keys import create_api_key
from tests.integration.conftest import Api, attendee, make_event_type, make_host

TUESDAY_9 = "2026-01-06T08:00:00Z"  # 09:00 in Berlin


def _book(public: Api, event_type: str, start: str, name: str = "Bo") -> dict[str, object]:
    made = public.post(
        "/bookings", {"eventTypeId": event_type, "start": start, "attendee": {**attendee(), "name": name}}
    )
    assert made.status == 201, made.body
    return made.body


def test_agenda_lists_bookings_with_local_times_and_follows_changes(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host, title="Intro call")
    made = _book(public, event_type, TUESDAY_9)["data"]
    project()
    [entry] = api.get("/agenda").data
    assert entry["uid"] == made["uid"] and entry["title"] == "Intro call" and entry["status"] == "accepted"
    assert entry["start"] == "2026-01-06T08:00:00+00:00" and entry["startLocal"] == "2026-01-06T09:00:00+01:00"
    assert entry["hostTimeZone"] == "Europe/Berlin" and entry["attendee"] == attendee()
    api.post(f"/bookings/{made['uid']}/reschedule", {"start": "2026-01-06T09:30:00Z"})
    api.patch(f"/event-types/{event_type}", {"title": "Discovery call"})
    api.post(f"/bookings/{made['uid']}/cancel", {"reason": "x"})
    project()
    [entry] = api.get("/agenda").data
    assert (entry["startLocal"], entry["title"], entry["status"]) == (
        "2026-01-06T10:30:00+01:00",
        "Discovery call",
        "cancelled",
    )


def test_filters_search_and_pages(api: Api, public: Api, project: Callable[[], None]) -> None:
    host, other_host = make_host(api), make_host(api)
    first = make_event_type(api, host)
    second = make_event_type(api, other_host, title="Review")
    for hour, name in ((8, "Alice"), (9, "Bob"), (10, "Carol")):
        _book(public, first, f"2026-01-06T{hour:02d}:00:00Z", name)
    _book(public, second, "2026-01-07T08:00:00Z", "Dave")
    project()
    assert len(api.get("/agenda").data) == 4
    assert [e["attendee"]["name"] for e in api.get(f"/agenda?hostId={host}").data] == ["Alice", "Bob", "Carol"]
    assert [e["attendee"]["name"] for e in api.get("/agenda?q=car").data] == ["Carol"]
    assert [e["attendee"]["name"] for e in api.get("/agenda?q=review").data] == ["Dave"]
    assert [e["attendee"]["name"] for e in api.get("/agenda?from=2026-01-07&to=2026-01-07").data] == ["Dave"]
    page = api.get("/agenda?limit=3")
    assert len(page.data) == 3 and page.body["meta"]["nextCursor"]
    rest = api.get(f"/agenda?limit=3&cursor={page.body['meta']['nextCursor']}")
    assert [e["attendee"]["name"] for e in rest.data] == ["Dave"] and rest.body["meta"]["nextCursor"] is None
    assert api.get("/agenda?cursor=garbage").code == "validation_error"
    assert api.get("/agenda?status=lost").code == "validation_error"
    assert api.get("/agenda?from=2026-01-08&to=2026-01-07").code == "validation_error"


def test_stats_by_day_host_and_event_type(api: Api, public: Api, project: Callable[[], None]) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host, lengthInMinutes=45)
    a = _book(public, event_type, "2026-01-06T08:00:00Z")["data"]
    _book(public, event_type, "2026-01-06T10:15:00Z")
    _book(public, event_type, "2026-01-07T08:00:00Z")
    public.post(f"/bookings/{a['uid']}/cancel", {"reason": "x"}, headers={"X-Cancel-Token": a["cancelToken"]})
    project()
    assert api.get("/agenda/stats?groupBy=day").data == [
        {"key": "2026-01-06", "bookings": 1, "cancelled": 1, "bookedMinutes": 45},
        {"key": "2026-01-07", "bookings": 1, "cancelled": 0, "bookedMinutes": 45},
    ]
    assert api.get("/agenda/stats?groupBy=host").data == [
        {"key": host, "bookings": 2, "cancelled": 1, "bookedMinutes": 90}
    ]
    assert api.get("/agenda/stats?groupBy=eventType&from=2026-01-07").data == [
        {"key": event_type, "bookings": 1, "cancelled": 0, "bookedMinutes": 45}
    ]
    assert api.get("/agenda/stats?groupBy=week").code == "validation_error"


def test_another_organisation_sees_nothing(api: Api, public: Api, project: Callable[[], None]) -> None:
    _book(public, make_event_type(api, make_host(api)), TUESDAY_9)
    project()
    other = Api(create_api_key("globex"))
    assert other.get("/agenda").data == [] and other.get("/agenda/stats").data == []
    assert Api().get("/agenda").status == 401


def test_min_position_waits_for_the_views_or_says_when_to_retry(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    event_type = make_event_type(api, make_host(api))
    position = _book(public, event_type, TUESDAY_9)["meta"]["position"]
    behind = api.get(f"/agenda?minPosition={position}")
    assert behind.status == 503 and behind.code == "not_caught_up" and behind.headers["Retry-After"] == "1"
    project()
    assert len(api.get(f"/agenda?minPosition={position}").data) == 1
    slots = public.get(
        f"/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-06&timeZone=Europe/Berlin&minPosition={position}"
    )
    assert "2026-01-06T09:00:00+01:00" not in [s["start"] for s in slots.data["2026-01-06"]]
    assert api.get("/agenda?minPosition=-1").code == "validation_error"
