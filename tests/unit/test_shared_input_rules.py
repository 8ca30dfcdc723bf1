"""Each input rule is written once (booking.inputs, booking.domain.dates) and every caller uses it:
names, searches, dates and instants, read positions."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from booking import bookings, inputs
from booking.domain import dates
from booking.domain.errors import InvalidValue
from booking.domain.schedule import Schedule


@pytest.mark.parametrize(
    "name", ["x" * 199 + " " * 20, " " * 5 + "x" * 196, "x" * 201, "\u00a0\u00a0", "", "Bo\x00", "\ud800"]
)
def test_a_name_too_long_as_sent_blank_or_not_plain_is_refused_by_the_one_rule(name: str) -> None:
    # given a name the published schema refuses (maxLength 200, not blank, plain text)
    # then the rule refuses it, and so does the attendee every API books with
    assert inputs.name_problem(name) is not None
    with pytest.raises(InvalidValue) as caught:
        bookings.attendee_of(name, "bo@example.com", "UTC")
    assert [field for field, _ in caught.value.errors] == ["attendee.name"]


@pytest.mark.parametrize("name", ["x" * 200, " Bo ", "Zoë Ñúñez", "\u00a0Bo"])
def test_a_name_the_schema_allows_is_kept_without_its_surrounding_spaces(name: str) -> None:
    assert inputs.name_problem(name) is None
    assert bookings.attendee_of(name, "bo@example.com", "UTC")["name"] == name.strip()


@pytest.mark.parametrize("q", ["a\x00b", "\ud800", "a\u2028b", "a" * 201])
def test_a_search_that_is_not_plain_text_of_at_most_200_characters_is_refused(q: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        inputs.search_text(q, "q")
    assert caught.value.errors[0][0] == "q"


def test_a_search_at_the_bound_or_not_asked_is_passed_on() -> None:
    assert inputs.search_text("a" * 200, "q") == "a" * 200
    assert inputs.search_text(None, "q") is None


def test_moving_the_span_of_dates_moves_every_date_and_instant_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the span starts in 2000 rather than 1900
    monkeypatch.setattr(dates, "FIRST_DAY", date(2000, 1, 1))
    # then a date, an instant and a schedule's override in 1999 are refused alike, each naming its field
    for refuse, field in (
        (lambda: inputs.calendar_date("1999-06-01", "from"), "from"),
        (lambda: inputs.instant("1999-06-01T09:00:00Z", "start"), "start"),
        (lambda: Schedule.parse({}, [{"date": "1999-06-01", "intervals": []}]), "overrides[0].date"),
    ):
        with pytest.raises(InvalidValue) as caught:
            refuse()
        assert caught.value.errors[0][0] == field
    # and the first day of the new span is still a date
    assert inputs.calendar_date("2000-01-01", "from") == date(2000, 1, 1)


def _years() -> list[date]:
    """Both ends of every four-digit year, and the days either side of the span."""
    ends = [day for year in range(1000, 10000) for day in (date(year, 1, 1), date(year, 12, 31))]
    return [*ends, dates.FIRST_DAY - timedelta(days=1), dates.LAST_DAY + timedelta(days=1)]


def test_the_published_date_and_instant_patterns_admit_exactly_the_dates_accepted() -> None:
    # the OpenAPI patterns bound years by hand: they must say what FIRST_DAY and LAST_DAY say
    date_pattern, instant_pattern = re.compile(inputs.DATE_PATTERN), re.compile(inputs.INSTANT_PATTERN)
    for day in _years():
        text, accepted = day.isoformat(), dates.parse_date(day.isoformat()) is not None
        assert accepted is dates.within(day)
        assert bool(date_pattern.fullmatch(text)) is accepted, text
        assert bool(instant_pattern.fullmatch(f"{text}T12:00:00Z")) is accepted, text


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "2026-1-06", "20260106", "2026-W02", "\uff12\uff10\uff12\uff16-01-06", "2026-01-06\n", 20260106],
)
def test_the_one_date_parser_reads_only_real_dates_in_ascii_yyyy_mm_dd(text: object) -> None:
    assert dates.parse_date(text) is None


@pytest.mark.parametrize("asked", ["-1", "1" * 19, "\u00b2", "\uff11", " 1", "1\n", "", "1e3", -1, 10**18, 2**70])
def test_a_position_outside_0_to_10_to_the_18_or_not_in_ascii_digits_is_refused(asked: int | str) -> None:
    # given a minPosition as REST's text or GraphQL's BigInt
    with pytest.raises(InvalidValue) as caught:
        inputs.position(asked)
    # then the one rule refuses it, naming the field
    assert caught.value.errors[0][0] == "minPosition"


@pytest.mark.parametrize(("asked", "read"), [("0", 0), ("9" * 18, 10**18 - 1), (0, 0), (10**18 - 1, 10**18 - 1)])
def test_a_position_at_the_bounds_reads_the_same_from_either_api(asked: int | str, read: int) -> None:
    assert inputs.position(asked) == read
    assert inputs.position(None) is None


def test_the_published_position_pattern_is_the_rule() -> None:
    assert re.fullmatch(inputs.POSITION_PATTERN[1:-1], str(inputs.MOST_POSITION))
    assert not re.fullmatch(inputs.POSITION_PATTERN[1:-1], str(inputs.MOST_POSITION + 1))
