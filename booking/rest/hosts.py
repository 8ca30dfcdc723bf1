"""Hosts and their working hours (organisation key required)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking.bootstrap import get_app
from booking.domain.schedule import Schedule
from booking.domain.timezones import zone
from booking.rest import replies as r
from booking.rest.presenters import host_json, respond, schedule_json
from booking.rest.requests import expected_version, idempotency
from booking.rest.schemas import HostIn, ScheduleIn

router = Router(tags=["hosts"])


@router.post("/hosts", response={201: r.HostReply, **r.problems(400, 401, 413, 422)}, by_alias=True)
def create_host(request: HttpRequest, payload: HostIn) -> HttpResponse:
    org = request.auth
    zone(payload.time_zone, "time_zone")
    outcome = get_app().register_host(
        org, payload.name.strip(), payload.email, payload.time_zone, idempotency(request, f"org/{org}")
    )
    return respond(host_json(outcome.subject), 201, {"position": outcome.position}, outcome.subject.version)


@router.get("/hosts", response={200: r.HostList, **r.problems(401)}, by_alias=True)
def list_hosts(request: HttpRequest) -> HttpResponse:
    return respond([host_json(h) for h in get_app().hosts(request.auth)])


@router.get("/hosts/{host_id}", response={200: r.HostReply, **r.problems(401, 404)}, by_alias=True)
def get_host(request: HttpRequest, host_id: UUID) -> HttpResponse:
    host = get_app().host(request.auth, host_id)
    return respond(host_json(host), etag=host.version)


@router.put(
    "/hosts/{host_id}/schedule",
    response={200: r.ScheduleReply, **r.problems(400, 401, 404, 412, 413, 422)},
    by_alias=True,
)
def put_schedule(request: HttpRequest, host_id: UUID, payload: ScheduleIn) -> HttpResponse:
    schedule = Schedule.parse(
        {day: [i.model_dump() for i in items] for day, items in payload.weekly.items()},
        [{"date": o.date, "intervals": [i.model_dump() for i in o.intervals]} for o in payload.overrides],
    )
    outcome = get_app().change_schedule(request.auth, host_id, schedule, expected_version(request))
    host = outcome.subject
    return respond(schedule_json(host), meta={"position": outcome.position}, etag=host.version)


@router.get("/hosts/{host_id}/schedule", response={200: r.ScheduleReply, **r.problems(401, 404)}, by_alias=True)
def get_schedule(request: HttpRequest, host_id: UUID) -> HttpResponse:
    host = get_app().host(request.auth, host_id)
    return respond(schedule_json(host), etag=host.version)
