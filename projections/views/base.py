"""What every view has: a name, its tables, and one handler per event type it cares about."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db import models
from django.db.models import Model

from projections.envelope import Envelope

# The tables a view writes to: the live models, or their staging copies during a replay.
Tables = Mapping[type[models.Model], Any]


_batch = threading.local()


@contextmanager
def remembering() -> Iterator[None]:
    """Within the block (one batch, under one savepoint), rows read with `View.row` are read once
    and remembered; they are forgotten at its end, so a batch rolled back leaves nothing behind."""
    _batch.rows = {}
    try:
        yield
    finally:
        _batch.rows = None


class View:
    name: ClassVar[str]
    models: ClassVar[tuple[type[models.Model], ...]]
    handlers: ClassVar[dict[str, Callable[[Any, Envelope, Tables], None]]]
    # The read stores it can live in. A view kept only in SQL stays there whatever
    # SLOTWISE_READ_STORE says, and has an empty index in Elasticsearch.
    stores: ClassVar[tuple[str, ...]] = ("sql", "elasticsearch")
    # The events whose handlers never write a table that `row` reads: the remembered rows stay
    # true across them. Before any other event this view handles, they are forgotten.
    keeps_rows: ClassVar[frozenset[str]] = frozenset()
    # The event types `apply_run` takes a run of at once: a few statements for the whole run
    # instead of a few per event. It must leave the tables as `apply` one by one would, and
    # must not read with `row` a table it writes (a run forgets the remembered rows before it
    # starts when one of its types is not in `keeps_rows`, not in its midst).
    runs: ClassVar[frozenset[str]] = frozenset()

    def apply(self, event: Envelope, tables: Tables) -> None:
        handler = self.handlers.get(event.type)
        if handler is None:
            return
        self._forget_before(event.type)
        handler(self, event, tables)

    def apply_all(self, events: Iterable[Envelope], tables: Tables) -> None:
        """Applies `events` in log order, as `apply` on each would, handing each unbroken run of
        `runs` event types (other types it does not handle do not break a run) to `apply_run`.

        For the live store's models (a replay into memory applies one by one): a run's writes
        are bulk statements, which the tables held in memory do not offer."""
        run: list[Envelope] = []
        for event in events:
            if event.type not in self.handlers:
                continue
            if event.type in self.runs:
                run.append(event)
                continue
            if run:
                self._apply_run(run, tables)
                run = []
            self.apply(event, tables)
        if run:
            self._apply_run(run, tables)

    def _apply_run(self, run: list[Envelope], tables: Tables) -> None:
        for event in run:
            self._forget_before(event.type)
        self.apply_run(run, tables)

    def apply_run(self, run: list[Envelope], tables: Tables) -> None:
        for event in run:
            self.handlers[event.type](self, event, tables)

    def _forget_before(self, event_type: str) -> None:
        rows: dict[Any, Any] | None = getattr(_batch, "rows", None)
        if rows and event_type not in self.keeps_rows:
            rows.clear()

    @staticmethod
    def rows(tables: Tables, model: type[Model], pks: Iterable[Any]) -> None:
        """Reads in one query the rows of `model` among `pks` that are not remembered yet, and
        remembers them (and which are missing), so that `row` finds them: for a run, which names
        many hosts and event types at once. Outside `remembering` it does nothing."""
        rows: dict[Any, Any] | None = getattr(_batch, "rows", None)
        if rows is None:
            return
        wanted = {str(pk) for pk in pks} - {key[2] for key in rows if key[0] == id(tables) and key[1] is model}
        if not wanted:
            return
        name = _pk_name(model)
        found = {str(getattr(row, name)): row for row in tables[model].objects.filter(**{f"{name}__in": wanted})}
        for pk in wanted:
            rows[(id(tables), model, pk)] = found.get(pk)

    @staticmethod
    def row(tables: Tables, model: type[Model], pk: Any, *, required: bool = True) -> Any:
        """The row of `model` whose primary key is `pk` (None if there is none and it is not
        `required`), read once per batch while `remembering`: a batch of bookings names the same
        hosts and event types again and again."""
        rows: dict[Any, Any] | None = getattr(_batch, "rows", None)
        key = (id(tables), model, str(pk))
        if rows is None or key not in rows:
            found = tables[model].objects.filter(**{_pk_name(model): pk}).first()
            if rows is None:
                return _required(model, pk, found) if required else found
            rows[key] = found
        return _required(model, pk, rows[key]) if required else rows[key]


def _pk_name(model: type[Model]) -> str:
    return model._meta.pk.attname if model._meta.pk else "id"


def _required(model: type[Model], pk: Any, found: Any) -> Any:
    if found is None:
        raise model.DoesNotExist(f"no {model.__name__} {pk}")
    return found
