"""Scalars of our own, where graphene's coerce more than the shared input rules accept."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError, IntValueNode, StringValueNode, ValueNode, print_ast

from booking import inputs
from booking.domain.errors import InvalidValue
from booking.graphql.errors import from_domain


def _integer_or_text(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _position(value: int | str, node: ValueNode | None = None) -> int:
    """`inputs.position`'s rule (REST's), its refusal a GraphQL error naming minPosition."""
    try:
        position = inputs.position(value)
    except InvalidValue as invalid:
        refused = from_domain(invalid)
        if node is None:  # a variable: graphql-core names it, and keeps code and field
            raise refused from None
        message = f"Expected value of type 'BigInt', found {print_ast(node)}; {refused.message}"
        raise GraphQLError(message, node, extensions=refused.extensions) from None
    if position is None:  # None is only 'not asked': graphql-core takes null before any scalar sees it
        raise TypeError("no position to parse")
    return position


class Position(graphene.BigInt):
    """An event store position, in and out. graphene's BigInt took whatever int() or float()
    does (Arabic-Indic or full-width digits, true, 1.5, "1_000", " 12 ", "1e3") where REST's
    minPosition refuses it; this one takes REST's rule. Its GraphQL name stays BigInt, the
    scalar's name since the first schema: documents declaring `$p: BigInt` keep validating."""

    class Meta:
        name = "BigInt"
        description = (
            "An event store position: a whole number from 0 to 10^18 - 1 (a write's `position`, a read's "
            "`minPosition`). As input, a JSON integer or a string of 1 to 18 ASCII digits; anything else "
            '(true, 1.5, "1e3", " 12 ", digits of other scripts) is refused.'
        )

    @staticmethod
    def parse_value(value: Any) -> int:
        return _position(value if _integer_or_text(value) else "")  # "": refused as text that is no digits

    @staticmethod
    def parse_literal(ast: ValueNode, _variables: Any = None) -> int:
        # an IntValue's text (-?[0-9]+, no leading zeros) is checked as digits: no int() of any length
        text = ast.value if isinstance(ast, IntValueNode | StringValueNode) else ""
        return _position(text, ast)
