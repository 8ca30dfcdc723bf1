"""The executor: graphql-sync-dataloaders' deferred execution, adapted to graphql-core 3.2.14.

graphql-sync-dataloaders 0.1.1 calls `handle_field_error(error, return_type)`; graphql-core
3.2.14 added a third argument, the field's path, which it uses to drop errors below a field
already nulled. Without this adapter a failing resolver would crash the whole request.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, GraphQLOutputType, is_non_null_type
from graphql.pyutils import Path
from graphql_sync_dataloaders import DeferredExecutionContext


class BatchingExecutionContext(DeferredExecutionContext):
    def handle_field_error(self, error: GraphQLError, return_type: GraphQLOutputType, path: Any = None) -> None:
        if is_non_null_type(return_type):
            raise error
        self.collected_errors.add(error, path if path is not None else _path_of(error))


def _path_of(error: GraphQLError) -> Path | None:
    path: Path | None = None
    for key in error.path or ():
        path = Path(path, key, None)
    return path
