"""What a query would cost, measured on its document before anything runs.

Depth counts nested fields; aliases count fields renamed by the client (the usual way to
multiply work). Cost: a scalar field is free; an object field costs its price (1 unless
PRICES says more) plus its selections; a list field costs its price plus, for each item it
may return (`first` or its default, LIST_SIZES), 1 plus the item's selections. Fragments are
counted where they are spread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)

# Fields that read a view or run the slot rules; every other object field costs 1, scalars 0.
PRICES = {
    "Query.slots": 20,
    "Query.agenda": 10,
    "Query.agendaStats": 10,
    "Query.booking": 2,
    "Query.host": 2,
    "Query.eventType": 2,
    "Mutation.bookingCreate": 20,
    "Mutation.bookingReschedule": 20,
    "Mutation.bookingCancel": 20,
}
# A list's (or connection's) size: the argument that bounds it, else a fixed size (slot days:
# at most 62). Other lists count as one item: their parent's size already counts them.
LIST_SIZES: dict[str, tuple[str | None, int]] = {
    "Query.agenda": ("first", 50),
    "Host.eventTypes": ("first", 20),
    "Attendee.bookings": ("first", 10),
    "Query.slots": (None, 62),
    "Query.agendaStats": (None, 31),
}


@dataclass(frozen=True)
class Measure:
    depth: int
    aliases: int
    cost: int


class _Walk:
    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.aliases = 0

    def selections(self, parent: str, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> tuple[int, int]:
        """(depth, cost) of a selection set on the type named `parent`."""
        if selection_set is None:
            return 0, 0
        depth = cost = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                d, c = self.field(parent, node, seen)
            elif isinstance(node, InlineFragmentNode):
                on = node.type_condition.name.value if node.type_condition else parent
                d, c = self.selections(on, node.selection_set, seen)
                d -= 1  # a fragment is not a level of its own
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation reports both
                    continue
                d, c = self.selections(fragment.type_condition.name.value, fragment.selection_set, seen | {name})
                d -= 1
            else:
                continue
            depth, cost = max(depth, d + 1), cost + c
        return depth, cost

    def field(self, parent: str, node: FieldNode, seen: frozenset[str]) -> tuple[int, int]:
        name = node.name.value
        if node.alias is not None:
            self.aliases += 1
        if name.startswith("__"):
            return 0, 0
        key = f"{parent}.{name}"
        child_type, is_list = self._type_of(parent, name)
        child_depth, child_cost = self.selections(child_type, node.selection_set, seen)
        if node.selection_set is None:
            return 0, PRICES.get(key, 0)
        if not is_list and key not in LIST_SIZES:  # a connection is sized where it is asked for
            return child_depth, PRICES.get(key, 1) + child_cost
        return child_depth, PRICES.get(key, 1) + self._size(key, node) * (1 + child_cost)

    def _size(self, key: str, node: FieldNode) -> int:
        bound = LIST_SIZES.get(key)
        if bound is None:
            return 1
        argument, default = bound
        for arg in node.arguments or ():
            if arg.name.value == argument:
                value = value_from_ast_untyped(arg.value, self.variables)
                if isinstance(value, int) and value > 0:
                    return value
        return default

    def _type_of(self, parent: str, name: str) -> tuple[str, bool]:
        """The named type of a field, and whether the field is a list."""
        parent_type: Any = self.schema.get_type(parent)
        fields = getattr(parent_type, "fields", None) or {}
        if name not in fields:
            return "", False
        of: Any = fields[name].type
        is_list = False
        while hasattr(of, "of_type"):
            is_list = is_list or isinstance(of, GraphQLList)
            of = of.of_type
        return str(of.name), is_list


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> Measure:
    root = {"query": "Query", "mutation": "Mutation"}.get(operation.operation.value, "Subscription")
    walk = _Walk(schema, fragments, variables or {})
    depth, cost = walk.selections(root, operation.selection_set, frozenset())
    return Measure(depth=depth, aliases=walk.aliases, cost=cost)
