"""Applying events to a view kept in Elasticsearch: one bulk request per batch, external
versions, and the position moved (in SQL) only after the bulk succeeded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from projections.applier import Applier, StoreUnavailable
from projections.elastic.client import alias
from projections.elastic.documents import HANDLERS, Write
from projections.envelope import Envelope
from projections.views.base import View

FINE = {200, 201, 409}  # 409: an older version than the one stored, i.e. already applied


@dataclass
class EsApplier(Applier):
    es: Elasticsearch | None = None
    index: str | None = None  # a replay writes to its fresh index; live writes go through the alias
    refresh: Any = "wait_for"  # searchable before the position moves: read-your-writes holds
    written: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.view.name}@elasticsearch"

    @property
    def target(self) -> str:
        return self.index or alias(self.view.name)

    @property
    def _es(self) -> Elasticsearch:
        if self.es is None:  # an explicit check: `python -O` strips asserts
            raise RuntimeError(f"{self.key} has no Elasticsearch client")
        return self.es

    def apply(self, batch: list[Envelope]) -> tuple[list[Envelope], Envelope | None]:
        handlers = HANDLERS.get(self.view.name, {})  # none: a view kept only in SQL
        self.written = {}
        applied: list[Envelope] = []
        writes: list[tuple[Envelope, Write]] = []
        failed: Envelope | None = None
        for event in batch:
            handler = handlers.get(event.type)
            try:
                made = handler(event, self._lookup) if handler else []
            except Exception as error:  # an event this view cannot apply: count it
                if self._give_up(event, error):
                    applied.append(event)
                    continue
                failed = event
                break
            for write in made:
                self.written[write.id] = write.doc
            writes.extend((event, write) for write in made)
            applied.append(event)
        refused = self._bulk(writes)
        if refused is not None:
            culprit, reason = refused
            if not self._give_up(culprit, reason):
                return applied[: applied.index(culprit)], culprit
        return applied, failed

    def _lookup(self, doc_id: str) -> dict[str, Any] | None:
        if doc_id in self.written:
            return self.written[doc_id]
        try:
            found = self._es.get(index=self.target, id=doc_id, realtime=True)
        except NotFoundError:
            return None
        except TransportError as error:
            raise StoreUnavailable(repr(error)) from error
        source: dict[str, Any] = found["_source"]
        return source

    def _bulk(self, writes: list[tuple[Envelope, Write]]) -> tuple[Envelope, Exception] | None:
        """Sends the writes; returns the first event Elasticsearch refused for its content."""
        if not writes:
            return None
        operations: list[dict[str, Any]] = []
        for _, w in writes:
            operations.append(
                {w.op: {"_index": self.target, "_id": w.id, "version": w.version, "version_type": "external"}}
            )
            if w.doc is not None:
                operations.append(w.doc)
        try:
            result = self._es.bulk(operations=operations, refresh=self.refresh)
        except (TransportError, ApiError) as error:
            raise StoreUnavailable(repr(error)) from error
        for (event, write), item in zip(writes, result["items"], strict=True):
            status = item[write.op]["status"]
            if status in FINE or (write.op == "delete" and status == 404):
                continue
            if status == 429 or status >= 500:
                raise StoreUnavailable(f"bulk item {write.id}: {status}")
            return event, ValueError(f"refused {write.op} of {write.id}: {item[write.op].get('error')}")
        return None


def es_applier(view: View, es: Elasticsearch, **kwargs: Any) -> EsApplier:
    return EsApplier(view=view, es=es, **kwargs)
