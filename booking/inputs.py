"""Parsing the values every API accepts, with errors that name the field."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID

from booking.domain.errors import InvalidValue

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def date_range(first: str | None, last: str | None) -> tuple[date | None, date | None]:
    """Optional `from`/`to` dates, both inclusive; `to` must not come before `from`."""
    start = calendar_date(first, "from") if first is not None else None
    end = calendar_date(last, "to") if last is not None else None
    if start and end and end < start:
        raise InvalidValue.single("to", "must not be before from")
    return start, end


def uuid_of(value: str | None, field: str) -> UUID:
    try:
        return UUID(value or "")
    except ValueError:
        raise InvalidValue.single(field, "must be a UUID") from None
