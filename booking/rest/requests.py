"""Reading what the API needs from requests: instants, dates, zones, keys and versions."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest

from booking.application import Idempotency
from booking.domain.errors import InvalidValue, VersionMismatch

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]{1,255}$")


def instant(value: str, field: str) -> datetime:
    """An RFC 3339 instant; it must carry an offset (a bare local time means nothing)."""
    if not _RFC3339.match(value):
        raise InvalidValue.single(field, "must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T09:00:00Z")
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise InvalidValue.single(field, "is not a real date-time") from None


def calendar_date(value: str | None, field: str) -> date:
    if value is None or not _DATE.match(value):
        raise InvalidValue.single(field, "must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue.single(field, "is not a real date") from None


def idempotency(request: HttpRequest, scope: str) -> Idempotency | None:
    """The request's Idempotency-Key with its fingerprint (method, path, body as parsed JSON)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _PRINTABLE.match(key):
        raise InvalidValue.single("Idempotency-Key", "must be 1 to 255 printable ASCII characters")
    body: Any = json.loads(request.body) if request.body else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()
    return Idempotency(scope=scope, key=key, fingerprint=fingerprint)


def expected_version(request: HttpRequest) -> int | None:
    """The version an If-Match header pins (`"3"`, `W/"3"` or `3`); None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', header)
    if match is None:
        raise VersionMismatch("If-Match must name a version this API issued as an ETag", "If-Match")
    return int(match[1])
