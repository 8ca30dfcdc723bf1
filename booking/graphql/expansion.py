"""How large a parsed document becomes once its fragments are spread, measured before validation.

Fragments that spread other fragments several times double a document's size with each level:
thirty levels fit in a kilobyte and expand to a billion fields. graphql-core's validation and our
cost walk both work on the expanded shape, so this measure comes first and must not expand
anything itself: each definition's own fields and spreads are counted once, and a fragment's
expanded size is the sum of its parts, worked out once per fragment. No recursion either: a long
chain of fragments must not be able to exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)


@dataclass(frozen=True)
class Expansion:
    spreads: int  # fragment spreads written in the document
    fields: int  # fields of the largest definition once every spread is replaced by its fragment


@dataclass
class _Part:
    fields: int = 0
    spreads: list[str] = field(default_factory=list)


def expansion(document: DocumentNode, most_fields: int) -> Expansion:
    """The document's spreads and expanded fields; sizes over `most_fields` are reported as `most_fields + 1`."""
    fragments: dict[str, _Part] = {}
    operations: list[_Part] = []
    for definition in document.definitions:
        if not isinstance(definition, ExecutableDefinitionNode):
            continue
        part = _own(definition.selection_set)
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, part)
        else:
            operations.append(part)
    spreads = sum(len(p.spreads) for p in (*fragments.values(), *operations))
    sizes = _sizes(fragments, most_fields + 1)
    totals = [_total(p, sizes, most_fields + 1) for p in operations] + list(sizes.values())
    return Expansion(spreads=spreads, fields=max(totals, default=0))


def _own(selection_set: SelectionSetNode) -> _Part:
    """A definition's own fields and the fragments it spreads, inline fragments included."""
    part = _Part()
    pending = [selection_set]
    while pending:
        for node in pending.pop().selections:
            if isinstance(node, FieldNode):
                part.fields += 1
                if node.selection_set is not None:
                    pending.append(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                pending.append(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                part.spreads.append(node.name.value)
    return part


def _total(part: _Part, sizes: dict[str, int], cap: int) -> int:
    return min(cap, part.fields + sum(sizes.get(name, 0) for name in part.spreads))


def _sizes(fragments: dict[str, _Part], cap: int) -> dict[str, int]:
    """Each fragment's expanded size, children first; a spread that closes a cycle or names no
    fragment counts nothing (validation refuses both)."""
    sizes: dict[str, int] = {}
    visiting: set[str] = set()
    for root in fragments:
        stack = [(root, False)]
        while stack:
            name, children_done = stack.pop()
            if children_done:
                sizes[name] = _total(fragments[name], sizes, cap)
                visiting.discard(name)
            elif name in fragments and name not in sizes and name not in visiting:
                visiting.add(name)
                stack.append((name, True))
                stack.extend((child, False) for child in fragments[name].spreads)
    return sizes
