"""How large a document becomes once its fragments are spread, measured without spreading them."""

from __future__ import annotations

import time

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from booking.graphql.cost import measure
from booking.graphql.expansion import Expansion, expansion
from booking.graphql.schema import schema


def doubling(levels: int, field: str = "uid") -> str:
    """A booking read whose fragment n spreads fragment n-1 twice: 2**levels fields once spread."""
    fragments = [f"fragment F0 on Booking {{ {field} }}"]
    fragments += [f"fragment F{n} on Booking {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels + 1)]
    return f'query {{ booking(uid: "x") {{ ...F{levels} }} }} ' + " ".join(fragments)


def test_a_document_without_fragments_is_its_own_fields() -> None:
    assert expansion(parse("{ agenda { edges { node { uid host { name } } } } }"), 1000) == Expansion(0, 6)


def test_each_spread_counts_its_fragment_once_more_and_inline_fragments_count_their_fields() -> None:
    text = """
    { booking(uid: "x") { ...B ...B ... on Booking { title } } }
    fragment B on Booking { uid host { ...H } }
    fragment H on Host { name timeZone }
    """
    # booking + title + 2 x (uid + host + 2 host fields)
    assert expansion(parse(text), 1000) == Expansion(spreads=3, fields=2 + 2 * 4)


def test_thirty_doublings_are_measured_at_once_and_capped_past_the_limit() -> None:
    # given a kilobyte that would expand to a billion fields
    document = parse(doubling(30))
    # when it is measured
    started = time.process_time()
    found = expansion(document, 1000)
    # then the count stops at the limit, and the measure took no time worth the name
    assert found == Expansion(spreads=61, fields=1001)
    assert time.process_time() - started < 0.05
    assert expansion(parse(doubling(3)), 1000) == Expansion(spreads=7, fields=1 + 8)


def test_cycles_and_unknown_fragments_count_nothing_and_end() -> None:
    text = '{ booking(uid: "x") { ...A ...Nowhere } } fragment A on Booking { uid ...B } fragment B on Booking { ...A }'
    assert expansion(parse(text), 1000) == Expansion(spreads=4, fields=2)


def test_a_long_chain_of_fragments_does_not_exhaust_the_stack() -> None:
    chain = [f"fragment F{n} on Booking {{ ...F{n + 1} }}" for n in range(5000)] + ["fragment F5000 on Booking { uid }"]
    found = expansion(parse('{ booking(uid: "x") { ...F0 } } ' + " ".join(chain)), 1000)
    assert found == Expansion(spreads=5001, fields=2)


def test_the_cost_walk_measures_each_fragment_once() -> None:
    # given the thirty doublings, with an aliased field at the bottom
    document = parse(doubling(30, "a: uid"))
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    # when they are measured
    started = time.process_time()
    measured = measure(schema.graphql_schema, operation, fragments, None)
    # then at once, and the aliases still count every place they are spread
    assert time.process_time() - started < 0.05
    assert measured.depth == 2 and measured.cost == 2 and measured.aliases == 2**30
