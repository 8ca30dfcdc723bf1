"""Hosts, schedules and event types over REST: auth, tenancy, ETags and validation."""

from __future__ import annotations

from booking.api_keys import create_api_key, revoke_api_key
from tests.integration.conftest import Api, make_event_type, make_host


def test_created_host_is_listed_and_readable_by_its_organisation(api: Api) -> None:
    # given a host created with the organisation's key
    created = api.post("/hosts", {"name": "Ada", "email": "ada@example.com", "timeZone": "Europe/Berlin"})
    # then it comes back with its id, in the list, and by id with an ETag
    assert created.status == 201
    assert created.data == {
        "id": created.data["id"],
        "name": "Ada",
        "email": "ada@example.com",
        "timeZone": "Europe/Berlin",
    }
    assert created.body["meta"]["position"] > 0
    assert [h["id"] for h in api.get("/hosts").data] == [created.data["id"]]
    one = api.get(f"/hosts/{created.data['id']}")
    assert one.status == 200 and one.data == created.data and one.headers["ETag"] == '"1"'


def test_requests_without_a_live_key_are_unauthorized(api: Api, api_key: str) -> None:
    assert Api().get("/hosts").status == 401
    assert Api("sw_nope_nope").get("/hosts").code == "unauthorized"
    assert revoke_api_key(api_key.split("_")[1])
    refused = api.get("/hosts")
    assert refused.status == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_another_organisations_resources_are_not_found(api: Api) -> None:
    host_id = make_host(api)
    event_type_id = make_event_type(api, host_id)
    other = Api(create_api_key("globex"))
    assert other.get(f"/hosts/{host_id}").status == 404
    assert other.get(f"/hosts/{host_id}/schedule").status == 404
    assert other.get(f"/event-types/{event_type_id}").status == 404
    assert other.patch(f"/event-types/{event_type_id}", {"title": "x"}).status == 404
    assert other.get("/hosts").data == []
    refused = other.post("/event-types", {"hostId": host_id, "slug": "a", "title": "A", "lengthInMinutes": 30})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "hostId"


def test_schedule_round_trips_and_honours_if_match(api: Api) -> None:
    host_id = make_host(api, hours=[("09:00", "12:00"), ("13:00", "17:00")], days=("monday",))
    current = api.get(f"/hosts/{host_id}/schedule")
    assert current.data == {
        "weekly": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]},
        "overrides": [],
    }
    etag = current.headers["ETag"]
    body = {
        "weekly": {"friday": [{"start": "10:00", "end": "24:00"}]},
        "overrides": [{"date": "2026-12-24", "intervals": []}],
    }
    changed = api.put(f"/hosts/{host_id}/schedule", body, headers={"If-Match": etag})
    assert changed.status == 200 and changed.data == body and changed.headers["ETag"] != etag
    stale = api.put(f"/hosts/{host_id}/schedule", body, headers={"If-Match": etag})
    assert stale.status == 412 and stale.code == "version_mismatch"


def test_event_type_defaults_patch_and_etag(api: Api) -> None:
    host_id = make_host(api)
    event_type_id = make_event_type(api, host_id)
    created = api.get(f"/event-types/{event_type_id}")
    assert created.data == {
        "id": event_type_id,
        "hostId": host_id,
        "slug": "intro",
        "title": "Intro",
        "lengthInMinutes": 30,
        "bufferBeforeMinutes": 0,
        "bufferAfterMinutes": 0,
        "minimumNoticeMinutes": 0,
        "slotIntervalMinutes": 30,
        "maxBookingsPerDay": None,
        "bookingWindowDays": 60,
        "reminders": [1440, 60],
    }
    patched = api.patch(
        f"/event-types/{event_type_id}",
        {"title": "Deep dive", "maxBookingsPerDay": 3},
        headers={"If-Match": created.headers["ETag"]},
    )
    assert patched.status == 200 and patched.data["title"] == "Deep dive" and patched.data["maxBookingsPerDay"] == 3
    assert patched.headers["ETag"] == '"2"' and patched.body["meta"]["position"] > 0
    stale = api.patch(f"/event-types/{event_type_id}", {"title": "x"}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert [et["id"] for et in api.get(f"/event-types?hostId={host_id}").data] == [event_type_id]


def test_slugs_are_unique_per_host_and_can_move(api: Api) -> None:
    host_id = make_host(api)
    first = make_event_type(api, host_id, slug="intro")
    taken = api.post("/event-types", {"hostId": host_id, "slug": "intro", "title": "B", "lengthInMinutes": 15})
    assert taken.status == 409 and taken.code == "slug_taken"
    assert api.patch(f"/event-types/{first}", {"slug": "renamed"}).status == 200
    reused = api.post("/event-types", {"hostId": host_id, "slug": "intro", "title": "B", "lengthInMinutes": 15})
    assert reused.status == 201
    other_host = make_host(api)
    assert (
        api.post("/event-types", {"hostId": other_host, "slug": "intro", "title": "C", "lengthInMinutes": 15}).status
        == 201
    )


def test_a_whole_number_written_with_a_point_is_that_number(api: Api) -> None:
    # given a host; JSON (and the OpenAPI document's `integer`) has one kind of number
    host = make_host(api)
    # when an event type's settings come as 30.0 and [60.0]
    body = {"hostId": host, "slug": "intro", "title": "Intro", "lengthInMinutes": 30.0, "reminders": [60.0]}
    made = api.post("/event-types", body)
    # then they are the integers 30 and [60]
    assert made.status == 201, made.body
    assert made.data["lengthInMinutes"] == 30 and made.data["reminders"] == [60]
    assert isinstance(made.data["lengthInMinutes"], int)
