"""Which fields a query asks for below the current one (for priming loaders)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def _children(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Iterable[FieldNode]:
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _children(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            yield from _children(fragments[node.name.value].selection_set, fragments)


def asks_for(info: Any, *path: str) -> bool:
    """True when, below the field being resolved, the query selects `path` (e.g. edges, node, host)."""
    level: list[FieldNode] = list(info.field_nodes)
    for name in path:
        level = [
            child
            for node in level
            for child in _children(node.selection_set, info.fragments)
            if child.name.value == name
        ]
        if not level:
            return False
    return True
