"""Rebuild a view from the event store, then swap it in atomically.

The log is read in big pages and applied to tables held in memory (projections.memory), at
Python speed; then one transaction replaces the live rows with the rebuilt ones in bulk and
sets the position. Readers see the old view until it commits and the new one after; writers
(the live projector) wait for it, then carry on from the new position. The view's rows must
fit in memory: a few hundred bytes a booking.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, models, transaction

from projections import positions
from projections.envelope import Envelope
from projections.memory import MemoryTable
from projections.models import ConsumerOffset
from projections.sources import LogSource
from projections.views.base import View

Progress = Callable[[int, int, float], None]


def replay(view: View, source: LogSource, batch_size: int = 5000, progress: Progress | None = None) -> int:
    """Rebuilds `view` from the log and swaps it in; returns the position it is complete to."""
    tables = {model: MemoryTable(model) for model in view.models}
    position, last = _fill(view, source, tables, 0, None, batch_size, progress)
    with transaction.atomic():
        # Lock order, shared with every writer of a view: position, Kafka offsets, tables.
        # The consumers' offsets go with the old rows: they start over and skip what the new
        # view already holds.
        positions.lock(view.name)
        list(ConsumerOffset.objects.select_for_update().filter(view=view.name))
        _hold_writers(view)
        position, last = _fill(view, source, tables, position, last, batch_size, progress)  # the tail
        for model, table in tables.items():
            model.objects.all().delete()
            _write_rows(model, table)
        ConsumerOffset.objects.filter(view=view.name).delete()
        positions.reset(view.name, position, last.occurred_at if last else None)
    return position


def _write_rows(model: type[models.Model], table: MemoryTable) -> None:
    """Writes the rebuilt rows in bulk: COPY on PostgreSQL, one executemany on SQLite."""
    fields = [f for f in model._meta.local_fields if not isinstance(f, models.AutoField)]
    if connection.vendor == "postgresql":  # COPY takes the Python values as they are
        names = [f.attname for f in fields]
        rows = [tuple(row.get(n) for n in names) for row in table.rows.values()]
    else:  # SQLite needs Django's own encodings (UUIDs as hex, instants as text)
        rows = [
            tuple(f.get_db_prep_save(row.get(f.attname), connection) for f in fields) for row in table.rows.values()
        ]
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(fields))
            insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608  # - our model's own table and columns, quoted; values are bound parameters
            cursor.executemany(insert, rows)


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


def _fill(
    view: View,
    source: LogSource,
    tables: dict[Any, MemoryTable],
    position: int,
    last: Envelope | None,
    batch_size: int,
    progress: Progress | None,
) -> tuple[int, Envelope | None]:
    """Applies the log from `position` to its head as of now; returns the head and the last event.

    Only the event types the view handles are read (the store filters them), so the position
    jumps to the head even when the last events are of no interest to the view.
    """
    started, done = time.monotonic(), 0
    head = source.head()
    while batch := source.read(after=position, limit=batch_size, types=view.handlers, stop=head):
        for event in batch:
            view.apply(event, tables)  # a rebuild fails fast: a broken event stops it
        position, last = batch[-1].position, batch[-1]
        done += len(batch)
        if progress is not None:
            progress(position, head, done / max(time.monotonic() - started, 1e-6))
    return max(position, head), last


def progress_bar(stream: Any = sys.stderr) -> Progress:
    """Events done of the log's head, events per second and the time left."""

    def show(position: int, head: int, rate: float) -> None:
        share = position / head if head else 1.0
        eta = (head - position) / rate if rate else 0.0
        bar = "#" * int(share * 30)
        stream.write(f"\r[{bar:<30}] {position}/{head} events  {rate:,.0f}/s  ETA {eta:,.0f}s ")
        stream.flush()

    return show
