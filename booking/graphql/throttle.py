"""The public request limits (booking.throttle) for GraphQL: the root fields an operation would run.

bookingCreate, bookingReschedule and bookingCancel are writes and `slots` a read, drawn from the
same budgets as their REST twins. Every root field counts, through aliases and fragments alike,
so one document cannot carry more than the budgets allow: the address's budgets and the event
types' of bookings and slots are taken before anything runs; a reschedule's or cancel's event
type is taken by its command (booking.bookings), which answers a typed `rate_limited` error when
it is spent. Fields whose arguments do not make sense (unknown variables, a malformed id) still
count against the address; execution then refuses them itself.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_argument_values, get_variable_values

from booking import throttle
from booking.throttle import Ask

WRITES = {"bookingCreate", "bookingReschedule", "bookingCancel"}
LIMITED = WRITES | {"slots"}


def check_operation(
    request: HttpRequest,
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    raw_variables: dict[str, Any] | None,
    organisation: UUID | None,
) -> None:
    """Takes the operation's limited root fields from their budgets; raises throttle.RateLimited.
    `organisation`: the caller's, from a valid key (spared on its own event types, see throttle.check)."""
    if not throttle.active():
        return  # nothing to take: no variables to coerce, no fields to collect
    if not _names_limited_field(operation.selection_set, fragments, set()):
        return
    root = schema.mutation_type if operation.operation == OperationType.MUTATION else schema.query_type
    if root is None:
        return
    coerced = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    variables = coerced if isinstance(coerced, dict) else {}
    fields = collect_fields(schema, fragments, variables, root, operation.selection_set)
    asks = [ask for nodes in fields.values() if (ask := _ask(root.fields, nodes[0], variables))]
    if asks:
        throttle.check(request, asks, organisation)


def _names_limited_field(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    """Whether a root field any budget counts appears at all (by name, through fragments): a cheap
    look before coercing variables and collecting fields, which most documents never need."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode) and selection.name.value in LIMITED:
            return True
        if isinstance(selection, InlineFragmentNode) and _names_limited_field(selection.selection_set, fragments, seen):
            return True
        if isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            spread = fragments.get(selection.name.value)
            if spread is not None and _names_limited_field(spread.selection_set, fragments, seen):
                return True
    return False


def _ask(fields: dict[str, Any], node: FieldNode, variables: dict[str, Any]) -> Ask | None:
    name = node.name.value
    if name == "slots":
        return Ask(throttle.READ, _uuid(_arguments(fields[name], node, variables).get("event_type_id")))
    if name == "bookingCreate":
        given = _arguments(fields[name], node, variables).get("input") or {}
        return Ask(throttle.WRITE, _uuid(given.get("event_type_id")))
    if name in WRITES:
        return Ask(throttle.WRITE, change=True)  # its command takes the rest once the booking is known
    return None


def _arguments(field: Any, node: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    try:
        found: dict[str, Any] = get_argument_values(field, node, variables)
    except GraphQLError:  # arguments execution will refuse (bad or missing variables): no event type
        return {}
    return found


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
