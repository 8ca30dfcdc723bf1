"""How a document is measured before it runs: depth, aliases, cost, through fragments and variables."""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from booking.graphql.cost import Measure, measure
from booking.graphql.schema import schema


def _measure(text: str, variables: dict[str, object] | None = None) -> Measure:
    document = parse(text)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return measure(schema.graphql_schema, operation, fragments, variables)


def test_scalars_are_free_objects_cost_one_and_lists_multiply_by_their_size() -> None:
    assert _measure("{ agendaStats { key } }") == Measure(depth=2, aliases=0, cost=10 + 31 * 1)
    # host = 1, node = 1 + host, edges = 1 + 1 x (1 + node), agenda = 10 + first x (1 + edges)
    host = 1
    node = 1 + host
    edges = 1 + (1 + node)
    assert _measure("{ agenda(first: 3) { edges { node { host { name } } } } }").cost == 10 + 3 * (1 + edges)
    assert _measure("query($f: Int) { agenda(first: $f) { edges { cursor } } }", {"f": 7}).cost == 10 + 7 * (1 + 2)
    assert _measure("{ agenda { edges { cursor } } }").cost == 10 + 50 * (1 + 2)  # the default page


def test_fragments_count_where_they_are_spread_and_aliases_are_counted() -> None:
    text = """
    query { a: agenda(first: 2) { ...Page } b: agenda(first: 2) { edges { ... on BookingEdge { node { uid } } } } }
    fragment Page on BookingConnection { edges { node { uid host { name } } } }
    """
    measured = _measure(text)
    assert measured.aliases == 2
    assert measured.depth == 5  # agenda > edges > node > host > name
    assert measured.cost == (10 + 2 * (1 + (1 + (1 + (1 + 1))))) + (10 + 2 * (1 + (1 + (1 + 1))))


def test_introspection_and_unknown_fields_cost_nothing_here() -> None:
    assert _measure("{ __typename }").cost == 0
    assert _measure("{ nope { deeper } }").cost == 1  # validation refuses it before it would run
