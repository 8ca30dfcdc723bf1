"""Rebuild a view from the event store into staging tables, then swap it in atomically.

Readers never see a half-built view: the staging tables fill outside the live ones, and the
swap (live rows replaced by staged rows, position set) is one transaction, so readers see the
old view until it commits and the new one after. The live projector's next compare-and-set
fails against the new position, so it carries on from there.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, models, transaction

from projections import positions
from projections.envelope import Envelope
from projections.models import ConsumerOffset
from projections.sources import LogSource
from projections.views.base import View

Progress = Callable[[int, int, float], None]


def staging_model(model: type[models.Model]) -> type[models.Model]:
    """A copy of `model` on `<table>__staging`, without indexes (they only slow bulk loading)."""
    table = f"{model._meta.db_table}__staging"
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"db_table": table, "app_label": "projections"}),
    }
    for f in model._meta.local_fields:
        clone = f.clone()
        clone.db_index = False
        attrs[f.name] = clone
    return type(f"{model.__name__}Staging{int(time.time() * 1e6)}", (models.Model,), attrs)


def replay(view: View, source: LogSource, batch_size: int = 1000, progress: Progress | None = None) -> int:
    """Rebuilds `view` from the log and swaps it in; returns the position it is complete to."""
    staged = {model: staging_model(model) for model in view.models}
    with connection.schema_editor() as editor:
        for staging in staged.values():
            editor.execute(f"DROP TABLE IF EXISTS {editor.quote_name(staging._meta.db_table)}")
            editor.create_model(staging)
    try:
        position, last = _fill(view, source, staged, 0, None, batch_size, progress)
        with transaction.atomic():
            # Lock order, shared with every writer of a view: position, Kafka offsets, tables.
            # The consumers' offsets go with the old rows: they start over and skip what the new
            # view already holds.
            positions.lock(view.name)
            list(ConsumerOffset.objects.select_for_update().filter(view=view.name))
            _hold_writers(view)
            # the tail that arrived while filling, then the swap, all in one transaction
            position, last = _fill(view, source, staged, position, last, batch_size, progress)
            with connection.cursor() as cursor:
                for model, staging in staged.items():
                    live, copy = (connection.ops.quote_name(m._meta.db_table) for m in (model, staging))
                    columns = ", ".join(connection.ops.quote_name(c) for c in _copied_columns(model))
                    cursor.execute(f"DELETE FROM {live}")
                    cursor.execute(f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {copy}")
            ConsumerOffset.objects.filter(view=view.name).delete()
            positions.reset(view.name, position, last.occurred_at if last else None)
    finally:
        with connection.schema_editor() as editor:
            for staging in staged.values():
                editor.delete_model(staging)
    return position


def _hold_writers(view: View) -> None:
    """Keeps the live projector's writes out until the swap commits; readers carry on.

    PostgreSQL's EXCLUSIVE mode blocks writers but not plain reads; SQLite already has one
    writer at a time (this transaction began IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in view.models)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _copied_columns(model: type[models.Model]) -> list[str]:
    """Every column but a generated key (the live table's own sequence numbers new rows)."""
    return [f.column for f in model._meta.local_fields if not isinstance(f, models.AutoField)]


def _fill(
    view: View,
    source: LogSource,
    staged: dict[type[models.Model], type[models.Model]],
    position: int,
    last: Envelope | None,
    batch_size: int,
    progress: Progress | None,
) -> tuple[int, Envelope | None]:
    started = time.monotonic()
    done = 0
    while batch := source.read(after=position, limit=batch_size):
        with transaction.atomic():
            for event in batch:
                view.apply(event, staged)  # a rebuild fails fast: a broken event stops it
        position, last = batch[-1].position, batch[-1]
        done += len(batch)
        if progress is not None:
            progress(position, source.head(), done / max(time.monotonic() - started, 1e-6))
    return position, last


def progress_bar(stream: Any = sys.stderr) -> Progress:
    """Events done of the log's head, events per second and the time left."""

    def show(position: int, head: int, rate: float) -> None:
        share = position / head if head else 1.0
        eta = (head - position) / rate if rate else 0.0
        bar = "#" * int(share * 30)
        stream.write(f"\r[{bar:<30}] {position}/{head} events  {rate:,.0f}/s  ETA {eta:,.0f}s ")
        stream.flush()

    return show
