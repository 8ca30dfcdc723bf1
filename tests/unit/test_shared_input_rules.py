"""Each input rule is written once (booking.inputs, booking.domain.dates) and every caller uses it:
names, searches, dates and instants, read positions."""

from __future__ import annotations

import pytest

from booking import bookings, inputs
from booking.domain.errors import InvalidValue


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
