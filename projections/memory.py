"""Tables held in memory while a replay rebuilds a view: the few query operations the views'
handlers use, on plain dicts, so a rebuild runs at Python speed and writes once, in bulk.

Only what the handlers need is supported: filters by equality and `<field>__lt`, `get`,
`first`, `exists`, `create`, `get_or_create`, `update_or_create`, `update` and `delete`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from django.db import models


def _matches(row: dict[str, Any], filters: dict[str, Any]) -> bool:
    for key, wanted in filters.items():
        name, _, op = key.partition("__")
        have = row.get(name)
        if op == "lt":
            if have is None or not have < wanted:
                return False
        elif op:
            raise NotImplementedError(f"lookup {key!r}")
        elif have != wanted and str(have) != str(wanted):
            return False
    return True


class MemoryQuery:
    def __init__(self, table: MemoryTable, filters: dict[str, Any]) -> None:
        self.table, self.filters, self.model = table, filters, table

    def _rows(self) -> Iterator[dict[str, Any]]:
        key = self.table.key_of(self.filters)
        if key is not None:  # the common case: by primary or natural key, no scan
            row = self.table.rows.get(key)
            candidates = [row] if row is not None else []
        else:
            candidates = list(self.table.rows.values())
        return (row for row in candidates if _matches(row, self.filters))

    def first(self) -> Any:
        return next((self.table.instance(row) for row in self._rows()), None)

    def exists(self) -> bool:
        return next(self._rows(), None) is not None

    def update(self, **fields: Any) -> int:
        count = 0
        for row in list(self._rows()):
            row.update(fields)
            count += 1
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        doomed = [self.table.row_key(row) for row in self._rows()]
        for key in doomed:
            del self.table.rows[key]
        return len(doomed), {}


class MemoryTable:
    """Stands in for `Model.objects` (and for the model) during a replay."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model_class = model
        self.pk = model._meta.pk.attname if model._meta.pk is not None else "id"
        self.unique = self._natural_key(model)
        self.rows: dict[str, dict[str, Any]] = {}
        self.objects = self

    @staticmethod
    def _natural_key(model: type[models.Model]) -> tuple[str, ...] | None:
        """For tables keyed by a generated id, the unique fields that identify a row."""
        for constraint in model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                return tuple(constraint.fields)
        return None

    def row_key(self, fields: dict[str, Any]) -> str:
        if self.unique is not None:
            return "|".join(str(fields[f]) for f in self.unique)
        return str(fields[self.pk])

    def key_of(self, filters: dict[str, Any]) -> str | None:
        """The row key the filters pin down, if they name it in full."""
        names = self.unique if self.unique is not None else (self.pk,)
        if all(name in filters for name in names):
            return self.row_key(filters)
        return None

    def instance(self, row: dict[str, Any]) -> Any:
        """A read-only view of a row for the handlers (cheaper than a model instance)."""
        return SimpleNamespace(**row)

    def filter(self, **filters: Any) -> MemoryQuery:
        return MemoryQuery(self, filters)

    def get(self, **filters: Any) -> Any:
        found = self.filter(**filters).first()
        if found is None:
            raise self.model_class.DoesNotExist(f"{self.model_class.__name__} {filters}")
        return found

    def create(self, **fields: Any) -> Any:
        row = {**fields}
        if self.unique is not None:
            row.setdefault(self.pk, None)
        key = self.row_key(row)
        if key in self.rows:
            raise ValueError(f"duplicate {self.model_class.__name__} {key}")
        self.rows[key] = row
        return self.instance(row)

    def get_or_create(self, defaults: dict[str, Any] | None = None, **lookup: Any) -> tuple[Any, bool]:
        found = self.filter(**lookup).first()
        if found is not None:
            return found, False
        return self.create(**lookup, **(defaults or {})), True

    def update_or_create(self, defaults: dict[str, Any] | None = None, **lookup: Any) -> tuple[Any, bool]:
        key = self.key_of(lookup)
        row = self.rows.get(key) if key is not None else None
        if row is None:
            return self.create(**lookup, **(defaults or {})), True
        row.update(defaults or {})
        return self.instance(row), False
