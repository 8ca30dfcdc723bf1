"""A list's size is what the operation will run with: the variables sent, else their defaults."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from booking.graphql.cost import measure
from booking.graphql.schema import schema

PAGE = "query($n: Int = 100) { agenda(first: $n) { edges { cursor } } }"


def _cost(text: str, variables: dict[str, object] | None = None) -> int:
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return measure(schema.graphql_schema, operation, {}, variables).cost


def test_a_variable_not_sent_is_costed_at_its_default() -> None:
    # given a page size that comes from a variable's default, when no variables are sent
    # then the page is costed at that default (100), not at agenda's own (50)
    assert _cost(PAGE) == 10 + 100 * (1 + 2)
    assert _cost(PAGE, {}) == 10 + 100 * (1 + 2)


def test_a_variable_sent_wins_over_its_default() -> None:
    assert _cost(PAGE, {"n": 7}) == 10 + 7 * (1 + 2)


def test_defaults_count_inside_fragments_and_nested_lists() -> None:
    text = """query($b: Int = 40) { agenda(first: 2) { edges { node { attendee { ...A } } } } }
    fragment A on Attendee { bookings(first: $b) { uid } }"""
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if d is not operation}
    # bookings = 1 + 40 x 1; attendee = 1 + bookings; node = 1 + attendee; edges = 1 + (1 + node)
    edges = 1 + (1 + (1 + (1 + (1 + 40))))
    assert measure(schema.graphql_schema, operation, fragments, None).cost == 10 + 2 * (1 + edges)  # type: ignore[arg-type]
