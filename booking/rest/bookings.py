"""Bookings: public creation; reads and changes with the cancel token or the organisation key."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking.bootstrap import get_app
from booking.domain.booking import Booking
from booking.domain.errors import NotFound
from booking.domain.timezones import zone
from booking.rest import replies as r
from booking.rest.auth import cancel_token_matches, optional_organisation
from booking.rest.presenters import booking_json, history_json, respond
from booking.rest.requests import idempotency, instant
from booking.rest.schemas import BookingIn, CancelIn, RescheduleIn

router = Router(tags=["bookings"])


class Unauthorized(Exception):
    """A key was sent and it is not a live key."""


@router.post("/bookings", response={201: r.BookingReply, **r.problems(400, 409, 413, 422)}, by_alias=True, auth=None)
def create_booking(request: HttpRequest, payload: BookingIn) -> HttpResponse:
    start = instant(payload.start, "start")
    zone(payload.attendee.time_zone, "attendee.time_zone")
    attendee = {
        "name": payload.attendee.name.strip(),
        "email": payload.attendee.email,
        "timeZone": payload.attendee.time_zone,
    }
    idem = idempotency(request, f"event-type/{payload.event_type_id}")
    outcome = get_app().book_slot(payload.event_type_id, start, attendee, idem)
    return respond(booking_json(outcome.subject, with_token=True), 201, {"position": outcome.position})


@router.get("/bookings/{uid}", response={200: r.BookingReply, **r.problems(401, 404)}, by_alias=True, auth=None)
def get_booking(request: HttpRequest, uid: UUID) -> HttpResponse:
    booking, _ = _authorised(request, uid)
    return respond(booking_json(booking))


@router.get("/bookings/{uid}/history", response={200: r.HistoryReply, **r.problems(401, 404)}, by_alias=True, auth=None)
def booking_history(request: HttpRequest, uid: UUID) -> HttpResponse:
    _authorised(request, uid)
    return respond(history_json(get_app().booking_history(uid)))


@router.post(
    "/bookings/{uid}/reschedule",
    response={200: r.BookingReply, **r.problems(400, 401, 404, 409, 413, 422)},
    by_alias=True,
    auth=None,
)
def reschedule_booking(request: HttpRequest, uid: UUID, payload: RescheduleIn) -> HttpResponse:
    _, scope = _authorised(request, uid)
    start = instant(payload.start, "start")
    outcome = get_app().reschedule_booking(uid, start, idempotency(request, scope))
    return respond(booking_json(outcome.subject), meta={"position": outcome.position})


@router.post(
    "/bookings/{uid}/cancel",
    response={200: r.BookingReply, **r.problems(400, 401, 404, 409, 413, 422)},
    by_alias=True,
    auth=None,
)
def cancel_booking(request: HttpRequest, uid: UUID, payload: CancelIn) -> HttpResponse:
    _, scope = _authorised(request, uid)
    outcome = get_app().cancel_booking(uid, payload.reason, idempotency(request, scope))
    return respond(booking_json(outcome.subject), meta={"position": outcome.position})


def _authorised(request: HttpRequest, uid: UUID) -> tuple[Booking, str]:
    """The booking and the idempotency scope of the caller; 404 unless the caller may see it."""
    organisation = optional_organisation(request)
    if organisation is False:
        raise Unauthorized
    booking = get_app().booking(uid)
    if organisation is not None and booking.organisation_id == organisation:
        return booking, f"org/{organisation}"
    token = request.headers.get("X-Cancel-Token", "")
    if token and cancel_token_matches(uid, token):
        return booking, f"event-type/{booking.event_type_id}"
    raise NotFound("no such booking", "uid")
