"""Event types: what a host offers (organisation key required)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Query

from booking.bootstrap import get_app
from booking.rest import replies as r
from booking.rest.presenters import event_type_json, respond
from booking.rest.requests import expected_version, idempotency
from booking.rest.schemas import EventTypeIn, EventTypeSettings

router = Router(tags=["event types"])


@router.post("/event-types", response={201: r.EventTypeReply, **r.problems(400, 401, 409, 413, 422)}, by_alias=True)
def create_event_type(request: HttpRequest, payload: EventTypeIn) -> HttpResponse:
    org = request.auth
    settings = payload.model_dump(exclude={"host_id"}, exclude_none=True)
    outcome = get_app().create_event_type(org, payload.host_id, settings, idempotency(request, f"org/{org}"))
    event_type = outcome.subject
    return respond(event_type_json(event_type), 201, {"position": outcome.position}, event_type.version)


@router.get("/event-types", response={200: r.EventTypeList, **r.problems(401, 404, 422)}, by_alias=True)
def list_event_types(request: HttpRequest, hostId: UUID | None = Query(None)) -> HttpResponse:  # noqa: N803
    return respond([event_type_json(et) for et in get_app().event_types(request.auth, hostId)])


@router.get("/event-types/{event_type_id}", response={200: r.EventTypeReply, **r.problems(401, 404)}, by_alias=True)
def get_event_type(request: HttpRequest, event_type_id: UUID) -> HttpResponse:
    event_type = get_app().event_type(event_type_id, request.auth)
    return respond(event_type_json(event_type), etag=event_type.version)


@router.patch(
    "/event-types/{event_type_id}",
    response={200: r.EventTypeReply, **r.problems(400, 401, 404, 409, 412, 413, 422)},
    by_alias=True,
)
def patch_event_type(request: HttpRequest, event_type_id: UUID, payload: EventTypeSettings) -> HttpResponse:
    changes = payload.model_dump(exclude_unset=True)
    outcome = get_app().update_event_type(request.auth, event_type_id, changes, expected_version(request))
    event_type = outcome.subject
    return respond(event_type_json(event_type), meta={"position": outcome.position}, etag=event_type.version)
