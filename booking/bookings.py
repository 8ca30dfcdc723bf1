"""The booking commands as every API takes them (REST and GraphQL alike).

One place for what a caller may do to a booking, the checks on its input, the idempotency
scope of its key and the fingerprint of its command. Fingerprints are taken over the parsed
command, not over the bytes or the API that carried it, so a client that retries through the
other API with the same key gets the first outcome back (docs/adr/0003-graphql.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from booking import throttle
from booking.application import Idempotency, Outcome
from booking.auth import cancel_token, cancel_token_matches
from booking.bootstrap import get_app
from booking.domain.booking import Booking
from booking.domain.errors import InvalidValue, NotFound
from booking.domain.timezones import zone
from booking.inputs import email_problem, name_problem, plain_text

_KEY = re.compile(r"[\x20-\x7e]{1,255}\Z")  # \Z, not $: "abc\n" is no key
MAX_REASON = 500


@dataclass(frozen=True)
class Caller:
    """Who is asking: the organisation of a valid key, and/or a booking's cancel token, from the
    client address public budgets count (booking.throttle.client_address)."""

    organisation: UUID | None = None
    cancel_token: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Key:
    """A client's idempotency key and the input field that carried it (for error messages)."""

    value: str | None
    field: str


def attendee_of(name: str, email: str, time_zone: str, field: str = "attendee") -> dict[str, str]:
    """The attendee as a booking stores it, every bad field reported at once."""
    errors: list[tuple[str, str]] = []
    if problem := name_problem(name):
        errors.append((f"{field}.name", problem))
    if problem := email_problem(email):
        errors.append((f"{field}.email", problem))
    try:
        zone(plain_text(time_zone, f"{field}.time_zone"), f"{field}.time_zone")
    except InvalidValue as e:
        errors.extend(e.errors)
    if errors:
        raise InvalidValue(errors)
    return {"name": name.strip(), "email": email, "timeZone": time_zone}


def idempotency(scope: str, key: Key, command: str, fields: dict[str, Any]) -> Idempotency | None:
    if key.value is None:
        return None
    if not _KEY.match(key.value):
        raise InvalidValue.single(key.field, "must be 1 to 255 printable ASCII characters")
    canonical = json.dumps([command, fields], sort_keys=True, separators=(",", ":"), default=str)
    return Idempotency(scope=scope, key=key.value, fingerprint=hashlib.sha256(canonical.encode()).hexdigest())


def book(event_type_id: UUID, start: datetime, attendee: dict[str, str], key: Key) -> Outcome[Booking]:
    """Public: anyone may book an offered slot. Keys live in the scope of the event type and the
    attendee's email, so one attendee's key never answers (nor reveals) another attendee's booking."""
    fields = {"eventTypeId": str(event_type_id), "start": _utc(start), "attendee": attendee}
    idem = idempotency(public_scope(event_type_id, attendee["email"]), key, "booking.create", fields)
    return get_app().book_slot(event_type_id, start, attendee, idem)


def public_scope(event_type_id: UUID, email: str) -> str:
    """The key space of one attendee (by email, case-insensitively) booking one event type."""
    return f"event-type/{event_type_id}/attendee/{hashlib.sha256(email.lower().encode()).hexdigest()}"


@dataclass(frozen=True)
class Access:
    """What an authorised caller may act on: the booking, the scope of their idempotency keys, and
    the token generation a token holder was let in with (None for the organisation's key)."""

    booking: Booking
    scope: str
    token_generation: int | None = None


def authorised(caller: Caller, uid: UUID) -> Access:
    """NotFound unless the caller may see the booking; CancelTokenExpired for the booking's own
    token once the booking has ended."""
    app = get_app()
    booking = app.booking(uid)
    if caller.organisation is not None and booking.organisation_id == caller.organisation:
        return Access(booking, f"org/{caller.organisation}")
    if caller.cancel_token and cancel_token_matches(booking.id, booking.token_generation, caller.cancel_token):
        booking.ensure_token_live(app.clock())
        return Access(booking, f"booking/{uid}", booking.token_generation)
    raise NotFound("no such booking", "uid")


def reschedule(caller: Caller, uid: UUID, start: datetime, key: Key) -> Outcome[Booking]:
    access = authorised(caller, uid)
    _count_change(caller, access.booking)
    idem = idempotency(access.scope, key, "booking.reschedule", {"uid": str(uid), "start": _utc(start)})
    return get_app().reschedule_booking(uid, start, idem, token_generation=access.token_generation)


def cancel(caller: Caller, uid: UUID, reason: str, key: Key) -> Outcome[Booking]:
    if len(reason) > MAX_REASON:
        raise InvalidValue.single("reason", f"must be at most {MAX_REASON} characters")
    plain_text(reason, "reason", multiline=True)
    access = authorised(caller, uid)
    _count_change(caller, access.booking)
    idem = idempotency(access.scope, key, "booking.cancel", {"uid": str(uid), "reason": reason})
    return get_app().cancel_booking(uid, reason, idem, token_generation=access.token_generation)


def _count_change(caller: Caller, booking: Booking) -> None:
    throttle.change_write(caller.address, caller.organisation, booking.organisation_id, booking.event_type_id)


def revoke_cancel_token(organisation: UUID, uid: UUID, key: Key) -> Outcome[Booking]:
    """The organisation only: the booking's cancel token stops working and a fresh one replaces it."""
    access = authorised(Caller(organisation=organisation), uid)
    idem = idempotency(access.scope, key, "booking.cancel_token.revoke", {"uid": str(uid)})
    return get_app().revoke_cancel_token(uid, idem)


def live_token(outcome: Outcome[Booking]) -> str | None:
    """The cancel token an answer may carry: the one the outcome's booking was given, while it is still
    the booking's current and unexpired token. A replay the booking has moved past since (rescheduled
    again, token revoked) carries none: retrying a request never hands out a token it did not make."""
    app = get_app()
    booking = outcome.subject
    current = app.booking(booking.id) if outcome.replayed else booking
    if current.token_generation != booking.token_generation or not current.token_live(app.clock()):
        return None
    return cancel_token(booking.id, booking.token_generation)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()
