"""Real responses match the shapes the OpenAPI document promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from booking.rest import replies as r
from tests.integration.conftest import Api, attendee, make_event_type, make_host


def holds(model: type[BaseModel], body: Any) -> None:
    model.model_validate(body, by_alias=True, by_name=False)


def test_every_endpoint_answers_in_its_documented_shape(api: Api, public: Api, project: Callable[[], None]) -> None:
    host_id = make_host(api)
    holds(r.HostReply, api.get(f"/hosts/{host_id}").body)
    holds(r.HostList, api.get("/hosts").body)
    holds(r.ScheduleReply, api.get(f"/hosts/{host_id}/schedule").body)
    holds(r.ScheduleReply, api.put(f"/hosts/{host_id}/schedule", {"weekly": {}}).body)
    event_type = make_event_type(api, host_id, maxBookingsPerDay=3)
    holds(r.EventTypeReply, api.get(f"/event-types/{event_type}").body)
    holds(r.EventTypeReply, api.patch(f"/event-types/{event_type}", {"title": "New"}).body)
    holds(r.EventTypeList, api.get("/event-types").body)
    api.put(f"/hosts/{host_id}/schedule", {"weekly": {"tuesday": [{"start": "09:00", "end": "17:00"}]}})
    holds(
        r.SlotsReply, public.get(f"/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-06&timeZone=UTC").body
    )
    made = public.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-01-06T08:00:00Z", "attendee": attendee()}
    )
    holds(r.BookingReply, made.body)
    uid = made.data["uid"]
    holds(r.BookingReply, api.get(f"/bookings/{uid}").body)
    holds(r.BookingReply, api.post(f"/bookings/{uid}/reschedule", {"start": "2026-01-06T09:00:00Z"}).body)
    holds(r.BookingReply, api.post(f"/bookings/{uid}/cancel-token/revoke").body)
    holds(r.BookingReply, api.post(f"/bookings/{uid}/cancel", {"reason": "x"}).body)
    holds(r.HistoryReply, api.get(f"/bookings/{uid}/history").body)
    holds(r.Problem, public.post("/bookings", {"eventTypeId": event_type}).body)
    project()
    holds(r.AgendaReply, api.get("/agenda").body)
    holds(r.StatsReply, api.get("/agenda/stats?groupBy=eventType").body)


def test_openapi_document_describes_every_route(public: Api) -> None:
    doc = public.get("/openapi.json").body
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/v1/hosts",
        "/api/v1/hosts/{host_id}",
        "/api/v1/hosts/{host_id}/schedule",
        "/api/v1/hosts/{host_id}/calendars",
        "/api/v1/hosts/{host_id}/calendars/{calendar_id}",
        "/api/v1/hosts/{host_id}/calendars/{provider}/connect",
        "/api/v1/calendars/oauth/start",
        "/api/v1/calendars/oauth/callback",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/event-types",
        "/api/v1/event-types/{event_type_id}",
        "/api/v1/slots",
        "/api/v1/bookings",
        "/api/v1/bookings/{uid}",
        "/api/v1/bookings/{uid}/history",
        "/api/v1/bookings/{uid}/reschedule",
        "/api/v1/bookings/{uid}/cancel",
        "/api/v1/bookings/{uid}/cancel-token/revoke",
        "/api/v1/agenda",
        "/api/v1/agenda/stats",
    }
    create = doc["paths"]["/api/v1/bookings"]["post"]
    assert "application/problem+json" in create["responses"]["409"]["content"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    booking = doc["components"]["schemas"]["Booking"]["properties"]
    assert {"uid", "eventTypeId", "cancelToken"} <= set(booking)
