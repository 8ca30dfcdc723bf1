"""RFC 9457 problem+json responses, and the one table mapping domain errors to HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from booking.domain import errors as e
from booking.public_events import camel

CONTENT_TYPE = "application/problem+json"

# code -> (status, title)
PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "The request body is not valid JSON"),
    "json_too_deep": (400, "The request body nests arrays and objects too deeply"),
    "unauthorized": (401, "A valid API key is required"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "cancel_token_expired": (410, "The cancel token expired when the booking ended"),
    "validation_error": (422, "The request has invalid fields"),
    "outside_availability": (422, "That start is not offered"),
    "too_short_notice": (422, "That start is too soon"),
    "beyond_booking_window": (422, "That start is too far ahead"),
    "idempotency_key_reused": (422, "Idempotency-Key reused with a different request"),
    "slot_unavailable": (409, "That slot is no longer available"),
    "daily_limit_reached": (409, "No more bookings that day"),
    "booking_cancelled": (409, "The booking is cancelled"),
    "slug_taken": (409, "Slug already in use"),
    "concurrent_update": (409, "Too many concurrent changes; retry"),
    "length_required": (411, "Send the body with a Content-Length"),
    "version_mismatch": (412, "The resource has changed"),
    "payload_too_large": (413, "The request body is too large"),
    "unsupported_media_type": (415, "The request body must be application/json"),
    "rate_limited": (429, "Too many requests; retry after the Retry-After seconds"),
    "internal_error": (500, "Internal error"),
    "not_ready": (503, "Not ready"),
    "not_caught_up": (503, "The views are still catching up"),
    "too_many_waiting": (503, "Too many reads are waiting for the views"),
    "overloaded": (503, "The server is at capacity; retry after the Retry-After seconds"),
    "store_unavailable": (503, "The database is unavailable; retry after the Retry-After seconds"),
}


def camel_field(path: str) -> str:
    """`attendee.time_zone` -> `attendee.timeZone`; header names stay as they are."""
    return camel(path) if "-" not in path else path


def problem(
    code: str,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    status, title = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"urn:slotwise:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [{"field": camel_field(f), "message": m} for f, m in errors]
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_domain(error: e.DomainError) -> HttpResponse:
    if isinstance(error, e.InvalidValue):
        return problem("validation_error", error.message, error.errors)
    fields = [(error.field, error.message)] if error.field and error.code in _FIELD_CODES else None
    return problem(error.code, error.message, fields)


_FIELD_CODES = {
    "outside_availability",
    "too_short_notice",
    "beyond_booking_window",
    "idempotency_key_reused",
    "cancel_token_expired",
}


class ProblemFallbackMiddleware:
    """Turns Django's own bare 404/405 answers under /api/ into problem+json."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.get("Content-Type", "").startswith(
            ("application/json", CONTENT_TYPE)
        ):
            return response
        if response.status_code == 404:
            return problem("not_found", f"no resource at {request.path}")
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            return problem("method_not_allowed", f"{request.method} is not allowed here", headers={"Allow": allowed})
        return response
