"""Bookings: public creation; reads and changes with the cancel token or the organisation key.

An answer that makes a cancel token (create, reschedule, revoke) carries it as `cancelToken`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router

from booking import bookings, throttle
from booking.application import Outcome
from booking.auth import optional_organisation
from booking.bootstrap import get_app
from booking.domain.booking import Booking
from booking.inputs import instant
from booking.rest import replies as r
from booking.rest.presenters import booking_json, history_json, respond
from booking.rest.requests import key
from booking.rest.schemas import BookingIn, CancelIn, RescheduleIn

router = Router(tags=["bookings"])


@router.post(
    "/bookings", response={201: r.BookingReply, **r.problems(400, 409, 413, 422, 429)}, by_alias=True, auth=None
)
def create_booking(request: HttpRequest, payload: BookingIn) -> HttpResponse:
    throttle.public_write(request, payload.event_type_id, throttle.key_holder(request))
    start = instant(payload.start, "start")
    person = payload.attendee
    attendee = bookings.attendee_of(person.name, person.email, person.time_zone)
    outcome = bookings.book(payload.event_type_id, start, attendee, key(request))
    return respond(_with_token(outcome), 201, {"position": outcome.position})


@router.get("/bookings/{uid}", response={200: r.BookingReply, **r.problems(401, 404, 410)}, by_alias=True, auth=None)
def get_booking(request: HttpRequest, uid: UUID) -> HttpResponse:
    return respond(booking_json(bookings.authorised(_caller(request), uid).booking))


@router.get(
    "/bookings/{uid}/history", response={200: r.HistoryReply, **r.problems(401, 404, 410)}, by_alias=True, auth=None
)
def booking_history(request: HttpRequest, uid: UUID) -> HttpResponse:
    bookings.authorised(_caller(request), uid)
    return respond(history_json(get_app().booking_history(uid)))


@router.post(
    "/bookings/{uid}/reschedule",
    response={200: r.BookingReply, **r.problems(400, 401, 404, 409, 410, 413, 422, 429)},
    by_alias=True,
    auth=None,
)
def reschedule_booking(request: HttpRequest, uid: UUID, payload: RescheduleIn) -> HttpResponse:
    caller = _caller(request)
    throttle.public_change(request, caller.organisation)  # the command takes the rest
    start = instant(payload.start, "start")
    outcome = bookings.reschedule(caller, uid, start, key(request))
    return respond(_with_token(outcome), meta={"position": outcome.position})


@router.post(
    "/bookings/{uid}/cancel",
    response={200: r.BookingReply, **r.problems(400, 401, 404, 409, 410, 413, 422, 429)},
    by_alias=True,
    auth=None,
)
def cancel_booking(request: HttpRequest, uid: UUID, payload: CancelIn) -> HttpResponse:
    caller = _caller(request)
    throttle.public_change(request, caller.organisation)  # the command takes the rest
    outcome = bookings.cancel(caller, uid, payload.reason, key(request))
    return respond(booking_json(outcome.subject), meta={"position": outcome.position})


@router.post(
    "/bookings/{uid}/cancel-token/revoke",
    response={200: r.BookingReply, **r.problems(401, 404, 422)},
    by_alias=True,
)
def revoke_cancel_token(request: HttpRequest, uid: UUID) -> HttpResponse:
    """Organisation key only: the booking's cancel token stops working; the answer carries the new one."""
    outcome = bookings.revoke_cancel_token(request.auth, uid, key(request))
    return respond(_with_token(outcome), meta={"position": outcome.position})


def _with_token(outcome: Outcome[Booking]) -> dict[str, Any]:
    return booking_json(outcome.subject, cancel_token=bookings.live_token(outcome))


def _caller(request: HttpRequest) -> bookings.Caller:
    token = request.headers.get("X-Cancel-Token") or None
    return bookings.Caller(optional_organisation(request), token, throttle.client_address(request))
