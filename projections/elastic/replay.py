"""Rebuild a view into a fresh index from the event store, then switch its alias atomically.

Readers follow the alias, so they see the old index until the switch and the new one after.
The switch happens in the same SQL transaction that resets the view's position (locked first,
like every writer), so the live projector carries on from the rebuilt position.
"""

from __future__ import annotations

import time

from django.db import transaction
from elasticsearch import Elasticsearch

from projections import positions
from projections.elastic.applier import EsApplier
from projections.elastic.client import create_index, ensure_alias, switch_alias
from projections.elastic.documents import HANDLERS
from projections.envelope import Envelope
from projections.models import ConsumerOffset
from projections.replay import Progress
from projections.sources import LogSource
from projections.views.base import View


class ReplayFailed(Exception):
    """A rebuild fails fast on an event it cannot apply (a live projector would dead-letter it)."""


def replay_es(
    view: View, source: LogSource, es: Elasticsearch, batch_size: int = 1000, progress: Progress | None = None
) -> int:
    ensure_alias(es, view.name)
    index = create_index(es, view.name)
    filler = EsApplier(view=view, es=es, index=index, refresh=False, max_attempts=1_000_000)
    position, last = _fill(filler, source, 0, None, batch_size, progress)
    with transaction.atomic():
        positions.lock(filler.key)
        list(ConsumerOffset.objects.select_for_update().filter(view=filler.key))
        position, last = _fill(filler, source, position, last, batch_size, progress)
        es.indices.refresh(index=index)
        old = switch_alias(es, view.name, index)
        ConsumerOffset.objects.filter(view=filler.key).delete()
        positions.reset(filler.key, position, last.occurred_at if last else None)
    for retired in old:
        es.indices.delete(index=retired)
    return position


def _fill(
    filler: EsApplier,
    source: LogSource,
    position: int,
    last: Envelope | None,
    batch_size: int,
    progress: Progress | None,
) -> tuple[int, Envelope | None]:
    started, done = time.monotonic(), 0
    head, types = source.head(), HANDLERS.get(filler.view.name, {})  # read only what the view handles
    if not types:  # a view kept only in SQL: nothing to write here
        return max(position, head), last
    while batch := source.read(after=position, limit=batch_size, types=types, stop=head):
        applied, failed = filler.apply(batch)
        if failed is not None:
            raise ReplayFailed(f"cannot apply event at position {failed.position} ({failed.type})")
        position, last = batch[-1].position, batch[-1]
        done += len(applied)
        if progress is not None:
            progress(position, head, done / max(time.monotonic() - started, 1e-6))
    return max(position, head), last
