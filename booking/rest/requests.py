"""Reading what the API needs from requests: instants, dates, zones, keys and versions."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest

from booking import bookings
from booking.application import Idempotency
from booking.domain.errors import VersionMismatch


def key(request: HttpRequest) -> bookings.Key:
    return bookings.Key(request.headers.get("Idempotency-Key"), "Idempotency-Key")


def idempotency(request: HttpRequest, scope: str) -> Idempotency | None:
    """The request's Idempotency-Key with its fingerprint (method, path, body as parsed JSON)."""
    body: Any = json.loads(request.body) if request.body else None
    return bookings.idempotency(scope, key(request), f"{request.method} {request.path}", {"body": body})


def expected_version(request: HttpRequest) -> int | None:
    """The version an If-Match header pins (`"3"`, `W/"3"` or `3`); None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip(" \t") == "*":
        return None
    match = re.fullmatch(r'[ \t]*(?:W/)?"?([0-9]{1,18})"?[ \t]*', header)  # ASCII: \d takes any script's digits
    if match is None:
        raise VersionMismatch("If-Match must name a version this API issued as an ETag", "If-Match")
    return int(match[1])
