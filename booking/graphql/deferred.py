"""Errors in fields that complete after their data loader's batch, nulled as the spec says.

graphql-sync-dataloaders 0.1.1 completes a field whose loader is pending in a callback of the
loader's future. When such a field fails and its type is non-null, the library raises from
inside that callback (as a synchronous executor raises to the parent): the exception escapes
the batch, the parent never completes, and the whole request ended as an internal error
("deferred execution failed to complete"), e.g. `attendee { bookings { attendee { bookings(first: 0) } } }`.

Here a failed non-null field sets its future's exception instead, and whoever waits on that
future (the parent object's field loop, a list, the parent field) nulls itself in turn, up
to the nearest nullable field, which records the error; exactly what the synchronous path does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_non_null_type,
    located_error,
)
from graphql.execution.execute import get_field_def
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, is_iterable
from graphql_sync_dataloaders import DeferredExecutionContext, SyncFuture


class SettlingExecutionContext(DeferredExecutionContext):
    """The library's execute_field and complete_list_value, with every late error settled into a future."""

    def execute_field(
        self, parent_type: GraphQLObjectType, source: Any, field_nodes: list[FieldNode], path: Path
    ) -> Any:
        field_def = get_field_def(self.schema, parent_type, field_nodes[0])
        if not field_def:
            return Undefined
        return_type = field_def.type
        resolve_fn = field_def.resolve or self.field_resolver
        if self.middleware_manager:
            resolve_fn = self.middleware_manager.get_field_resolver(resolve_fn)
        info = self.build_resolve_info(field_def, field_nodes, parent_type, path)
        try:
            args = get_argument_values(field_def, field_nodes[0], self.variable_values)
            result = resolve_fn(source, info, **args)
            if isinstance(result, SyncFuture) and not result.done():
                if result.deferred_callback:
                    self._deferred_callbacks.append(result.deferred_callback)
                future = SyncFuture()
                result.add_done_callback(
                    partial(self._complete_later, future, return_type, field_nodes, info, path, result)
                )
                return future
            if isinstance(result, SyncFuture):
                result = result.result()
            completed = self.complete_value(return_type, field_nodes, info, path, result)
            return self.settled(completed, return_type, field_nodes, path)
        except Exception as raw_error:
            self.handle_field_error(located_error(raw_error, field_nodes, path.as_list()), return_type, path)
            return None

    def settled(self, completed: Any, return_type: GraphQLOutputType, nodes: list[FieldNode], path: Path) -> Any:
        """A completed value; when it is still pending, a future that settles as the field's type says."""
        if not isinstance(completed, SyncFuture):
            return completed
        if completed.done():
            return completed.result()  # raises as a synchronous completion would
        future = SyncFuture()
        completed.add_done_callback(partial(self._settle, future, completed, return_type, nodes, path))
        return future

    def _complete_later(
        self,
        future: SyncFuture,
        return_type: GraphQLOutputType,
        nodes: list[FieldNode],
        info: GraphQLResolveInfo,
        path: Path,
        loaded: SyncFuture,
    ) -> None:
        try:
            completed = self.complete_value(return_type, nodes, info, path, loaded.result())
        except Exception as raw_error:
            self._fail(future, raw_error, return_type, nodes, path)
            return
        if not isinstance(completed, SyncFuture):
            future.set_result(completed)
        elif completed.done():
            self._settle(future, completed, return_type, nodes, path)
        else:
            completed.add_done_callback(partial(self._settle, future, completed, return_type, nodes, path))

    def _settle(
        self, future: SyncFuture, completed: SyncFuture, return_type: Any, nodes: list[FieldNode], path: Path
    ) -> None:
        try:
            value = completed.result()
        except Exception as raw_error:
            self._fail(future, raw_error, return_type, nodes, path)
            return
        future.set_result(value)

    def _fail(
        self, future: SyncFuture, raw_error: Exception, return_type: Any, nodes: list[FieldNode], path: Path
    ) -> None:
        """A non-null field's error nulls its parent (the future's waiter); a nullable one is recorded here."""
        error = located_error(raw_error, nodes, path.as_list())
        if is_non_null_type(return_type):
            future.set_exception(error)
            return
        self.handle_field_error(error, return_type, path)
        future.set_result(None)

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_nodes: list[FieldNode],
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
    ) -> Any:
        if not is_iterable(result):
            raise GraphQLError(
                f"Expected Iterable, but did not find one for field '{info.parent_type.name}.{info.field_name}'."
            )
        items = list(result)
        item_type = return_type.of_type
        results: list[Any] = [None] * len(items)
        pending: dict[int, SyncFuture] = {}
        for index, item in enumerate(items):
            item_path = path.add_key(index, None)
            try:
                if isinstance(item, SyncFuture) and not item.done():
                    if item.deferred_callback:
                        self._deferred_callbacks.append(item.deferred_callback)
                    later = SyncFuture()
                    callback = partial(self._complete_later, later, item_type, field_nodes, info, item_path, item)
                    item.add_done_callback(callback)
                    pending[index] = later
                    continue
                value = item.result() if isinstance(item, SyncFuture) else item
                completed = self.complete_value(item_type, field_nodes, info, item_path, value)
                completed = self.settled(completed, item_type, field_nodes, item_path)
            except Exception as raw_error:
                self.handle_field_error(
                    located_error(raw_error, field_nodes, item_path.as_list()), item_type, item_path
                )
                completed = None
            if isinstance(completed, SyncFuture):
                pending[index] = completed
            else:
                results[index] = completed
        if not pending:
            return results
        return _gathered(results, pending)


def _gathered(results: list[Any], pending: dict[int, SyncFuture]) -> SyncFuture:
    """A future for the list once every pending item is in; a failed (non-null) item fails the list."""
    whole = SyncFuture()
    left = len(pending)

    def arrived(index: int, item: SyncFuture) -> None:
        nonlocal left
        if whole.done():  # an earlier item already failed the list
            return
        try:
            results[index] = item.result()
        except Exception as error:
            whole.set_exception(error)
            return
        left -= 1
        if not left:
            whole.set_result(results)

    for index, item in pending.items():
        item.add_done_callback(partial(arrived, index, item))
    return whole
