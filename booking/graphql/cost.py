"""What a query would cost, measured on its document before anything runs.

Depth counts nested fields; aliases count fields renamed by the client (the usual way to
multiply work). Cost: a scalar field is free; an object field costs its price (1 unless
PRICES says more) plus its selections; a list field costs its price plus, for each item it
may return (`first` or its default, LIST_SIZES), 1 plus the item's selections. Fragments are
counted where they are spread (each measured once per document, however often it is spread).
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
    """One measure of one operation. Each fragment is measured once and its measure reused
    wherever it is spread, so the walk is linear in the document, not in its expansion."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self._measured: dict[str, Measure] = {}
        self._measuring: set[str] = set()

    def selections(self, parent: str, selection_set: SelectionSetNode | None) -> Measure:
        """(depth, aliases, cost) of a selection set on the type named `parent`."""
        if selection_set is None:
            return _NOTHING
        depth = aliases = cost = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                m = self.field(parent, node)
            elif isinstance(node, InlineFragmentNode):
                on = node.type_condition.name.value if node.type_condition else parent
                m = _flat(self.selections(on, node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                m = _flat(self.fragment(node.name.value))
            else:
                continue
            depth, aliases, cost = max(depth, m.depth + 1), aliases + m.aliases, cost + m.cost
        return Measure(depth=depth, aliases=aliases, cost=cost)

    def fragment(self, name: str) -> Measure:
        """A fragment's measure, worked out the first time it is spread."""
        found = self._measured.get(name)
        if found is not None:
            return found
        fragment = self.fragments.get(name)
        if fragment is None or name in self._measuring:  # validation reports both
            return _NOTHING
        self._measuring.add(name)
        measured = self.selections(fragment.type_condition.name.value, fragment.selection_set)
        self._measuring.discard(name)
        self._measured[name] = measured
        return measured

    def field(self, parent: str, node: FieldNode) -> Measure:
        name = node.name.value
        aliased = int(node.alias is not None)
        if name.startswith("__"):
            return Measure(depth=0, aliases=aliased, cost=0)
        key = f"{parent}.{name}"
        child_type, is_list = self._type_of(parent, name)
        child = self.selections(child_type, node.selection_set)
        aliases = aliased + child.aliases
        if node.selection_set is None:
            return Measure(depth=0, aliases=aliases, cost=PRICES.get(key, 0))
        if not is_list and key not in LIST_SIZES:  # a connection is sized where it is asked for
            return Measure(depth=child.depth, aliases=aliases, cost=PRICES.get(key, 1) + child.cost)
        cost = PRICES.get(key, 1) + self._size(key, node) * (1 + child.cost)
        return Measure(depth=child.depth, aliases=aliases, cost=cost)

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


_NOTHING = Measure(depth=0, aliases=0, cost=0)


def _flat(m: Measure) -> Measure:
    """A fragment is not a level of its own."""
    return Measure(depth=m.depth - 1, aliases=m.aliases, cost=m.cost)


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any] | None,
) -> Measure:
    root = {"query": "Query", "mutation": "Mutation"}.get(operation.operation.value, "Subscription")
    return _Walk(schema, fragments, _with_defaults(operation, variables)).selections(root, operation.selection_set)


def _with_defaults(operation: OperationDefinitionNode, variables: dict[str, Any] | None) -> dict[str, Any]:
    """The variables as the operation will run them: a variable not sent takes its default
    (`query($n: Int = 100)`); one sent, even as null, keeps what was sent."""
    found = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in found and definition.default_value is not None:
            found[name] = value_from_ast_untyped(definition.default_value)
    return found
