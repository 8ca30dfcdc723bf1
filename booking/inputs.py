"""Parsing the values every API accepts, with errors that name the field.

One definition of each rule, used by REST (through `booking.rest.schemas`) and GraphQL alike:

- Names (hosts and attendees): plain text, not blank, at most 200 characters as sent.
- Plain text (every single-line field): no control characters (U+0000-U+001F, U+007F-U+009F),
  no line or paragraph separators (U+2028, U+2029), no lone surrogates. PostgreSQL cannot store
  a NUL or a lone surrogate, and a line break in a name or an address ends up in email headers.
- Free text (the multi-line cancel `reason`): the same, except that line feeds (U+000A) and tabs
  (U+0009) are allowed. Carriage returns are not: one line break, one way.
- Searches (the agenda's `q`): plain text of at most 200 characters.
- Read positions (`minPosition`): whole numbers from 0 to 10^18 - 1 (over REST, 1 to 18 ASCII digits).
- Email addresses: plain ASCII, at most 254 characters, and valid to Django's email validator.
- URLs (webhook and calendar addresses): plain ASCII without spaces, as RFC 3986 writes them.
- Dates and instants: ASCII digits only, in the years 1900 to 2999 (`booking.domain.dates`).

Patterns are matched whole (`fullmatch`): `$` would also accept a trailing newline.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from booking.domain.dates import DATE_SHAPE, FIRST_DAY, LAST_DAY, parse_date
from booking.domain.errors import InvalidValue
from projections.selectors import decode_cursor

# Character classes as both Python's re and ECMA-262 (OpenAPI `pattern`) read them.
_SINGLE_LINE_REFUSED = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_MULTI_LINE_REFUSED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
_SURROGATES = r"\ud800-\udfff"  # only Python can hold them in a str; JSON's "\ud800" decodes to one
_REFUSED_IN_LINE = re.compile(f"[{_SINGLE_LINE_REFUSED}{_SURROGATES}]")
_REFUSED_IN_TEXT = re.compile(f"[{_MULTI_LINE_REFUSED}{_SURROGATES}]")

# An instant's written date is read as every date is (`parse_date`: ASCII digits, the span).
_TIME_SHAPE = r"[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
_UUID_SHAPE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_INSTANT = re.compile(f"({DATE_SHAPE}){_TIME_SHAPE}")
_UUID = re.compile(_UUID_SHAPE)

# The same rules as OpenAPI patterns (ECMA-262 reads `$` as the end of the text). The shapes
# above check digits only and leave the calendar and the span to `parse_date` and
# `fromisoformat`; the published patterns also bound years, months, days, hours and offsets, so
# that what they allow is what is accepted (the `format` beside them rules out the 30th of
# February). A pattern cannot compute a span: `_YEAR` writes FIRST_DAY.year to LAST_DAY.year
# out, and tests/unit/test_shared_input_rules.py holds the two together.
_YEAR = r"(?:19|2[0-9])[0-9]{2}"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_HOUR_MINUTE = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
PLAIN_TEXT_PATTERN = f"^[^{_SINGLE_LINE_REFUSED}]*$"
FREE_TEXT_PATTERN = f"^[^{_MULTI_LINE_REFUSED}]*$"
DATE_PATTERN = f"^{_YEAR}-{_MONTH_DAY}$"
INSTANT_PATTERN = f"^{_YEAR}-{_MONTH_DAY}[Tt]{_HOUR_MINUTE}:[0-5][0-9](?:\\.[0-9]{{1,6}})?(?:[Zz]|[+-]{_HOUR_MINUTE})$"
# Blank is what `str.strip` removes: Python's whitespace, of which the controls are refused anyway.
_BLANK = "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace() and not _REFUSED_IN_LINE.match(c))
LINE_CHAR = f"[^{_SINGLE_LINE_REFUSED}]"  # one character of plain text
SEEN_CHAR = f"[^{_SINGLE_LINE_REFUSED}{_BLANK}]"  # one that is not blank either
NOT_BLANK_PATTERN = f"^{LINE_CHAR}*{SEEN_CHAR}{LINE_CHAR}*$"
YEARS = f"{FIRST_DAY.year} to {LAST_DAY.year}"
MAX_EMAIL = 254
MAX_SEARCH = 200  # the agenda's `q`, over REST and GraphQL
MAX_NAME = 200  # a person's name (host or attendee), counted as sent
# A read's `minPosition`: event store positions are 64-bit, and 18 digits always fit in one
MOST_POSITION = 10**18 - 1
POSITION_PATTERN = "^[0-9]{1,18}$"
_POSITION = re.compile(POSITION_PATTERN[1:-1])  # ASCII digits only: str.isdigit() also takes '²', int() not


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is not plain text (free text when `multiline`), or None when it is."""
    found = (_REFUSED_IN_TEXT if multiline else _REFUSED_IN_LINE).search(value)
    if found is None:
        return None
    allowed = "only line feeds and tabs are allowed" if multiline else "plain text on one line"
    return f"must not contain U+{ord(found[0]):04X} ({allowed}: no control characters or lone surrogates)"


def plain_text(value: str, field: str, *, multiline: bool = False) -> str:
    """`value` itself when it is plain (or free) text, else InvalidValue naming `field`."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidValue.single(field, problem)
    return value


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a person's name, or None: plain text, not blank, and 1 to MAX_NAME
    characters as sent (spaces around it count: the published `maxLength` is this bound)."""
    if len(value) > MAX_NAME:
        return f"must be 1 to {MAX_NAME} characters"
    if problem := text_problem(value):
        return problem
    if not value.strip():
        return "must not be blank"
    return None


def search_text(value: str | None, field: str) -> str | None:
    """What a search asks for: plain text of at most MAX_SEARCH characters; None when not asked."""
    if value is None:
        return None
    if len(value) > MAX_SEARCH:
        raise InvalidValue.single(field, f"must be at most {MAX_SEARCH} characters")
    return plain_text(value, field)


def position(value: int | str | None, field: str = "minPosition") -> int | None:
    """A position to wait for: a whole number from 0 to MOST_POSITION, as GraphQL's BigInt or as
    REST's text of 1 to 18 ASCII digits; None when not asked."""
    if value is None:
        return None
    if isinstance(value, str):
        value = int(value) if _POSITION.fullmatch(value) else -1
    if not 0 <= value <= MOST_POSITION:
        raise InvalidValue.single(field, "must be a whole number from 0 to 10^18 - 1 (a meta.position from a write)")
    return value


def cursor_of(value: str | None, field: str) -> str | None:
    """`value` once it is a page cursor this API issued; None when not given. Checked before any
    query runs, so that only a bad cursor is ever reported as one."""
    if value is None:
        return None
    try:
        decode_cursor(value)
    except ValueError:
        raise InvalidValue.single(field, "is not a cursor this API issued") from None
    return value


def email_problem(value: str) -> str | None:
    """Why `value` is not an email address we accept, or None when it is."""
    if len(value) > MAX_EMAIL:
        return f"must be at most {MAX_EMAIL} characters"
    if not value.isascii() or text_problem(value) is not None:
        return "must be an email address in plain ASCII, without spaces or control characters"
    try:
        validate_email(value)
    except ValidationError:
        return "must be an email address, e.g. ada@example.com"
    return None


def url_text_problem(value: str) -> str | None:
    """Why `value` cannot be a URL as sent on the wire (RFC 3986: ASCII, no spaces), or None."""
    if not value.isascii() or text_problem(value) is not None or " " in value:
        return "must be a URL in plain ASCII, without spaces (write an international host as xn--...)"
    return None


def instant(value: str, field: str) -> datetime:
    """An RFC 3339 instant; it must carry an offset (a bare local time means nothing)."""
    shaped = _INSTANT.fullmatch(value)
    if shaped is None:
        raise InvalidValue.single(
            field, f"must be an RFC 3339 date-time with an offset in the years {YEARS}, e.g. 2026-12-01T09:00:00Z"
        )
    if parse_date(shaped[1]) is None:
        raise InvalidValue.single(field, f"is not a real date in the years {YEARS}")
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise InvalidValue.single(field, "is not a real date-time") from None


def calendar_date(value: str | None, field: str) -> date:
    """A YYYY-MM-DD date, read as every date is (`booking.domain.dates.parse_date`)."""
    day = parse_date(value)
    if day is None:
        raise InvalidValue.single(field, f"must be a real date as YYYY-MM-DD in the years {YEARS}")
    return day


def date_range(first: str | None, last: str | None) -> tuple[date | None, date | None]:
    """Optional `from`/`to` dates, both inclusive; `to` must not come before `from`."""
    start = calendar_date(first, "from") if first is not None else None
    end = calendar_date(last, "to") if last is not None else None
    if start and end and end < start:
        raise InvalidValue.single("to", "must not be before from")
    return start, end


def uuid_of(value: str | None, field: str) -> UUID:
    """A UUID in its canonical 8-4-4-4-12 hexadecimal form (UUID() alone also takes braces,
    `urn:uuid:`, underscores and non-ASCII digits)."""
    if value is None or not _UUID.fullmatch(value):
        raise InvalidValue.single(field, "must be a UUID")
    return UUID(value)
