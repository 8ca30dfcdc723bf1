"""The executor: graphql-sync-dataloaders' deferred execution, adapted and with a fast path.

Late errors: see booking/graphql/deferred.py (a failed non-null field nulls its parent even
when it completes after its loader's batch).

Adapter: graphql-sync-dataloaders 0.1.1 calls `handle_field_error(error, return_type)`;
graphql-core 3.2.14 added a third argument, the field's path, which it uses to drop errors
below a field already nulled. Without this a failing resolver would crash the request.

Fast path: most fields of a page of bookings are scalars read straight off a row by
graphene's default resolver, which needs neither arguments nor resolve info. For those the
executor reads and serializes the value directly instead of building a path and a
resolve-info object, coercing (absent) arguments and walking the generic completion, which
is most of a large list's cost. Anything unusual (a null, a serialization failure) takes the
normal path, so errors and null handling are unchanged.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from graphene.types.resolver import dict_or_attr_resolver
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    located_error,
)
from graphql.execution.execute import get_field_def
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from graphql_sync_dataloaders import SyncFuture
from graphql_sync_dataloaders.execution_context import PENDING_FUTURE

from booking.graphql.deferred import SettlingExecutionContext

_plain: dict[int, tuple[str, Any, Any] | None] = {}


_FALLBACK = object()


def _per_item_field(field: GraphQLField) -> tuple[GraphQLField, Any, Any] | None:
    """(field, resolver, type) for a `@per_item` resolver returning one object or scalar."""
    resolve: Any = field.resolve
    target: Any = get_nullable_type(field.type)  # type: ignore[arg-type]
    if not getattr(resolve, "__slotwise_untimed__", False):
        return None
    if (isinstance(target, GraphQLObjectType) and target.is_type_of is None) or is_leaf_type(target):
        return (field, resolve, target)
    return None


def _plain_leaf(field: GraphQLField) -> tuple[str, Any, Any] | None:
    """(attribute, default, serialize) when the field is a scalar read by the default resolver."""
    key = id(field)
    if key not in _plain:
        resolve: Any = field.resolve
        leaf: Any = get_nullable_type(field.type)  # type: ignore[arg-type]
        plain = (
            isinstance(resolve, partial)
            and resolve.func is dict_or_attr_resolver
            and is_leaf_type(leaf)
            and not field.args
        )
        _plain[key] = (resolve.args[0], resolve.args[1], leaf.serialize) if plain else None
    return _plain[key]


Step = tuple[str, list[FieldNode], tuple[str, Any, Any] | None, tuple[GraphQLField, Any, Any] | None]


class BatchingExecutionContext(SettlingExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[dict[str, list[FieldNode]], list[Step]]] = {}

    def execute_fields_serially(
        self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None, fields: dict[str, list[FieldNode]]
    ) -> Any:
        """The library's loop, with plain scalar fields answered inline (no path, no call)."""
        results: dict[str, Any] = {}
        unresolved = 0
        # Made with the first pending field, before its callback: a later field's non-null error
        # abandons this loop, and the callbacks already registered still complete this future.
        future: SyncFuture | None = None
        is_dict = isinstance(source_value, dict)
        for response_name, field_nodes, plain, item in self._plan(parent_type, fields):
            if plain is not None:
                name, default, serialize = plain
                value = source_value.get(name, default) if is_dict else getattr(source_value, name, default)
                serialized = _serialized(serialize, value)
                if serialized is not None:
                    results[response_name] = serialized
                    continue
            field_path = Path(path, response_name, parent_type.name)
            result = _FALLBACK
            if item is not None:
                result = self._per_item(item, parent_type, source_value, field_nodes, field_path)
            if result is _FALLBACK:
                result = self.execute_field(parent_type, source_value, field_nodes, field_path)
            if isinstance(result, SyncFuture):
                if result.done():
                    result = result.result()
                    if result is not Undefined:
                        results[response_name] = result
                    continue
                results[response_name] = PENDING_FUTURE  # keeps the field order

                def process_result(response_name: str, result: SyncFuture, whole: SyncFuture) -> None:
                    nonlocal unresolved
                    if whole.done():  # a non-null field already nulled this object
                        return
                    try:
                        awaited = result.result()
                    except Exception as error:  # a non-null field failed late: the object is null
                        whole.set_exception(error)
                        return
                    if awaited is not Undefined:
                        results[response_name] = awaited
                    else:
                        del results[response_name]
                    unresolved -= 1
                    if not unresolved:
                        whole.set_result(results)

                if future is None:
                    future = SyncFuture()
                unresolved += 1
                result.add_done_callback(partial(process_result, response_name, result, future))
            elif result is not Undefined:
                results[response_name] = result
        return results if future is None else future

    execute_fields = execute_fields_serially

    def _per_item(
        self, item: tuple[GraphQLField, Any, Any], parent_type: GraphQLObjectType, source: Any, nodes: Any, path: Path
    ) -> Any:
        """A `@per_item` resolver (cheap, and safe to call twice) whose value is ready: its value
        completed directly. A pending load, a null or an error returns _FALLBACK, and the
        library's path runs the field again and handles it as it always does."""
        field, resolve, target = item
        info = self.build_resolve_info(field, nodes, parent_type, path)
        try:
            args = get_argument_values(field, nodes[0], self.variable_values) if field.args else {}
            value = resolve(source, info, **args)
            if isinstance(value, SyncFuture):
                if not value.done():
                    return _FALLBACK
                value = value.result()
        except Exception:
            return _FALLBACK
        if value is None:
            return _FALLBACK
        if is_leaf_type(target):
            serialized = _serialized(target.serialize, value)
            return _FALLBACK if serialized is None else serialized
        try:
            completed = self.execute_fields(target, value, path, self.collect_subfields(target, nodes))
            return self.settled(completed, field.type, nodes, path)
        except Exception as raw:
            self.handle_field_error(located_error(raw, nodes, path.as_list()), field.type, path)
            return None

    def _plan(self, parent_type: GraphQLObjectType, fields: dict[str, list[FieldNode]]) -> list[Step]:
        """Each field with its fast-path reading, worked out once per selection: every object
        of a list shares its selection's `fields` (graphql-core caches them per execution).
        The plan keeps `fields` alive, so its id cannot be reused by another selection."""
        key = id(fields)
        found = self._plans.get(key)
        if found is None:
            steps: list[Step] = []
            for response_name, field_nodes in fields.items():
                field = get_field_def(self.schema, parent_type, field_nodes[0])
                fast = field is not None and not self.middleware_manager
                plain = _plain_leaf(field) if fast else None
                item = _per_item_field(field) if fast and plain is None else None
                steps.append((response_name, field_nodes, plain, item))
            found = self._plans[key] = (fields, steps)
        return found[1]

    def handle_field_error(self, error: GraphQLError, return_type: GraphQLOutputType, path: Any = None) -> None:
        if is_non_null_type(return_type):
            raise error
        self.collected_errors.add(error, path if path is not None else _path_of(error))


def _serialized(serialize: Any, value: Any) -> Any:
    """The serialized value, or None when the normal path must handle it (null, or failure)."""
    if value is None:
        return None
    try:
        serialized = serialize(value)
    except Exception:
        return None
    return None if serialized is Undefined else serialized


def _path_of(error: GraphQLError) -> Path | None:
    path: Path | None = None
    for key in error.path or ():
        path = Path(path, key, None)
    return path
