"""Resolver timings: every resolver we wrote is timed into a Prometheus histogram by Type.field.

The wrapping is done once, on the built schema, rather than with graphql-core middleware,
which would add a call to every field of every object, timed or not. Not timed: fields read
straight off a row (graphene's default resolver), and resolvers marked `@per_item`, which run
once per object of a list and only reshape the row or hand a key to a data loader; the
loader's batch, where their work happens, is timed as `loader:<name>`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from graphene.types.resolver import dict_or_attr_resolver
from graphql import GraphQLObjectType, GraphQLSchema

from booking.observability.metrics import RESOLVER_SECONDS


def per_item(resolve: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a resolver that runs once per object of a list and only reshapes its row or hands
    a key to a data loader: not timed (its loader is), and cheap and safe to call twice, which
    lets the executor's fast path (booking/graphql/execution.py) try it first."""
    resolve.__slotwise_untimed__ = True  # type: ignore[attr-defined]
    return resolve


def _timed(resolve: Callable[..., Any], label: str) -> Callable[..., Any]:
    histogram = RESOLVER_SECONDS.labels(field=label)

    @wraps(resolve)
    def timed(root: Any, info: Any, **args: Any) -> Any:
        started = time.perf_counter()
        try:
            return resolve(root, info, **args)
        finally:
            histogram.observe(time.perf_counter() - started)

    timed.__slotwise_timed__ = True  # type: ignore[attr-defined]
    return timed


def time_resolvers(schema: GraphQLSchema) -> None:
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            resolve = field.resolve
            default = isinstance(resolve, partial) and resolve.func is dict_or_attr_resolver
            marked = getattr(resolve, "__slotwise_timed__", False) or getattr(resolve, "__slotwise_untimed__", False)
            if resolve is None or default or marked:
                continue
            field.resolve = _timed(resolve, f"{type_.name}.{name}")
