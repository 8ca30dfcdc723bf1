"""The values every API accepts (booking.inputs): plain text, emails, dates, instants, ids, and
the other whole-value patterns of the code base, each matched to its very end."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from booking import bookings, inputs
from booking.api_keys import ORG_SLUG
from booking.auth import cancel_token, cancel_token_matches
from booking.domain.dates import FIRST_DAY, LAST_DAY
from booking.domain.errors import InvalidValue
from booking.domain.event_type import validate_settings
from booking.domain.schedule import Schedule
from booking.observability.requests import _ACCEPTABLE_ID
from projections.selectors import decode_cursor

# full-width and Arabic-Indic digits are written as escapes below
REFUSED_ANYWHERE = ["\x00", "\x01", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\ud800", "\udfff"]


@pytest.mark.parametrize("bad", [*REFUSED_ANYWHERE, "\n", "\t"])
def test_single_line_text_refuses_controls_separators_and_lone_surrogates(bad: str) -> None:
    # given a name with one bad character in the middle
    problem = inputs.text_problem(f"Ada{bad}Lovelace")
    # then it is refused, naming the code point
    assert problem is not None and f"U+{ord(bad):04X}" in problem


@pytest.mark.parametrize("bad", REFUSED_ANYWHERE)
def test_free_text_refuses_the_same_except_line_feeds_and_tabs(bad: str) -> None:
    assert inputs.text_problem(f"a{bad}b", multiline=True) is not None


@pytest.mark.parametrize("good", ["Ada Lovelace", "Zoë Ñúñez", "李小龍", "\u00a0Bo", "emoji 🙂", ""])
def test_ordinary_unicode_text_is_plain(good: str) -> None:
    assert inputs.text_problem(good) is None


def test_a_reason_may_span_lines_and_hold_tabs() -> None:
    assert inputs.text_problem("first line\n\tsecond line", multiline=True) is None


@pytest.mark.parametrize(
    "bad",
    [
        "bo@example.com\n",
        "bo@example.com\r\nBcc: eve@example.com",
        "bö@example.com",
        "bo@exämple.com",
        '"bo\x01"@example.com',
        "bo@example",
        "bo example@example.com",
        "bo@@example.com",
        f"{'b' * 250}@example.com",
        "",
    ],
)
def test_an_email_address_is_refused_unless_plain_and_valid(bad: str) -> None:
    assert inputs.email_problem(bad) is not None


@pytest.mark.parametrize("good", ["bo@example.com", "bo.b+tag@sub.example.co.uk", "x@xn--bcher-kva.de"])
def test_ordinary_email_addresses_are_accepted(good: str) -> None:
    assert inputs.email_problem(good) is None


@pytest.mark.parametrize(
    "bad",
    [
        "2026-01-06T09:00:00Z\n",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00+14:00",
        "0000-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
        "\uff12\uff10\uff12\uff16-01-06T09:00:00Z",
        "2026-01-06T09:00:00+\u0660\u0660:00",
        "2026-01-06T09:00:00",
        "2026-01-06T23:59:60Z",
        "2026-01-06T09:00:00+24:00",
        " 2026-01-06T09:00:00Z",
    ],
)
def test_an_instant_outside_the_years_or_not_in_ascii_rfc3339_is_refused(bad: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        inputs.instant(bad, "start")
    assert caught.value.errors[0][0] == "start"


@pytest.mark.parametrize(
    "good", ["1900-01-01T00:00:00+14:00", "2999-12-31T23:59:59-12:00", "2026-01-06T09:00:00+23:59"]
)
def test_the_edges_of_the_years_and_of_offsets_are_instants_whose_arithmetic_is_safe(good: str) -> None:
    parsed = inputs.instant(good, "start")
    # in the farthest zones either way, and a booking window (730 days) either side, it stays a date
    for far in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")):
        local = parsed.astimezone(far)
        assert (local - timedelta(days=731)).year >= 1897 and (local + timedelta(days=731)).year <= 3002


@pytest.mark.parametrize(
    "bad", ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01", "\uff12\uff10\uff12\uff16-01-06", "2026-01-06\n"]
)
def test_a_date_outside_the_years_or_not_ascii_is_refused(bad: str) -> None:
    with pytest.raises(InvalidValue):
        inputs.calendar_date(bad, "start")


def test_the_published_patterns_admit_exactly_the_span_of_dates() -> None:
    # the OpenAPI patterns and FIRST_DAY/LAST_DAY describe the same span
    for day, inside in ((FIRST_DAY, True), (LAST_DAY, True), (FIRST_DAY.replace(year=1899), False)):
        text = day.isoformat()
        assert bool(re.fullmatch(inputs.DATE_PATTERN[1:-1], text)) is inside
        assert bool(re.fullmatch(inputs.INSTANT_PATTERN[1:-1], f"{text}T00:00:00Z")) is inside
    assert not re.fullmatch(inputs.DATE_PATTERN[1:-1], "3000-01-01")


@pytest.mark.parametrize(
    "bad",
    [
        "{12345678-1234-4234-8234-123456789abc}",
        "urn:uuid:12345678-1234-4234-8234-123456789abc",
        "12345678123442348234123456789abc",
        "1234567_-1234-4234-8234-123456789abc",
        "\uff11\uff12345678-1234-4234-8234-123456789abc",
        "12345678-1234-4234-8234-123456789abc\n",
    ],
)
def test_only_the_canonical_form_of_a_uuid_is_accepted(bad: str) -> None:
    with pytest.raises(InvalidValue):
        inputs.uuid_of(bad, "uid")


def test_a_canonical_uuid_is_accepted_in_either_case() -> None:
    uid = uuid4()
    assert inputs.uuid_of(str(uid).upper(), "uid") == uid


@pytest.mark.parametrize("key", ["abc\n", "abc\r\n", "k\u00e9y", "", "k" * 256])
def test_an_idempotency_key_must_be_printable_ascii_to_its_end(key: str) -> None:
    with pytest.raises(InvalidValue):
        bookings.idempotency("scope", bookings.Key(key, "Idempotency-Key"), "command", {})


def test_an_attendee_with_a_control_character_in_any_field_is_refused_field_by_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        bookings.attendee_of("Bo\x00", "bo@example.com\n", "UTC\x00")
    assert [f for f, _ in caught.value.errors] == ["attendee.name", "attendee.email", "attendee.time_zone"]


@pytest.mark.parametrize("token", ["é", "ü" * 32, "\u2028"])
def test_a_non_ascii_cancel_token_is_simply_wrong(token: str) -> None:
    assert cancel_token_matches(uuid4(), 0, token) is False


def test_the_right_cancel_token_still_matches() -> None:
    uid = uuid4()
    assert cancel_token_matches(uid, 0, cancel_token(uid, 0))


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(ORG_SLUG, "acme\n"), (_ACCEPTABLE_ID, "request-1\n")],
)
def test_whole_value_patterns_do_not_stop_before_a_trailing_newline(pattern: re.Pattern[str], value: str) -> None:
    assert pattern.fullmatch(value) is None
    assert pattern.fullmatch(value.rstrip("\n")) is not None


def test_a_slug_or_a_working_hour_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidValue):
        validate_settings({"slug": "intro\n"})
    with pytest.raises(InvalidValue):
        Schedule.parse({"monday": [{"start": "09:00\n", "end": "17:00"}]}, [])


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "\uff12\uff10\uff12\uff16-01-06"])
def test_an_override_outside_the_years_or_not_ascii_is_refused(day: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Schedule.parse({}, [{"date": day, "intervals": []}])
    assert caught.value.errors[0][0] == "overrides[0].date"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _b64(b"[" * 100_000 + b"]" * 100_000),
        _b64(json.dumps([[["2026-01-06T08:00:00+00:00"]], str(uuid4())]).encode()),
        _b64(json.dumps(["2026-01-06T08:00:00", str(uuid4())]).encode()),
        _b64(json.dumps(["2026-01-06T08:00:00+00:00", str(uuid4()), "extra"]).encode()),
        _b64(json.dumps({"start": "2026-01-06T08:00:00+00:00"}).encode()),
        "not base64 at all!",
    ],
)
def test_a_cursor_is_decoded_strictly_and_never_recursively(cursor: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor(cursor)


def test_an_issued_cursor_still_decodes() -> None:
    uid = uuid4()
    start = datetime(2026, 1, 6, 8, tzinfo=UTC)
    assert decode_cursor(_b64(json.dumps([start.isoformat(), str(uid)]).encode())) == (start, uid)
