"""Persisted queries: Apollo's Automatic Persisted Queries protocol, and the allow-list.

A client sends `extensions.persistedQuery.sha256Hash` without the document; on a miss it is
told `PersistedQueryNotFound` and sends both, and the document is remembered (in Redis when
SLOTWISE_REDIS_URL is set) for later calls. In persisted-only mode
(SLOTWISE_GRAPHQL_PERSISTED_ONLY) nothing is remembered from clients: only documents
registered with `manage.py graphql_register` (the allow-list, in the database) run.

Parsed and validated documents are kept per process by hash, so a known query skips
parse and validate (most of a small query's cost).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from django.core.cache import caches

from booking.models import PersistedQuery


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def allowed(digest: str) -> str | None:
    """The allow-listed document with this hash, if any."""
    row = PersistedQuery.objects.filter(sha256=digest).values_list("document", flat=True).first()
    return str(row) if row is not None else None


def remembered(digest: str) -> str | None:
    """A document a client registered through the APQ protocol."""
    found = caches["persisted-queries"].get(f"apq:{digest}")
    return str(found) if found is not None else None


def remember(digest: str, document: str) -> None:
    caches["persisted-queries"].set(f"apq:{digest}", document)


def register(document: str, operation_names: list[str], source: str) -> tuple[str, bool]:
    """Adds a document to the allow-list; returns its hash and whether it was new."""
    digest = sha256(document)
    _, created = PersistedQuery.objects.get_or_create(
        sha256=digest,
        defaults={"document": document, "operation_names": ",".join(operation_names)[:500], "source": source[:300]},
    )
    return digest, created


class DocumentCache:
    """A bounded, thread-safe LRU of parsed-and-validated documents (and their measure) by hash."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> Any:
        with self._lock:
            item = self._items.get(digest)
            if item is not None:
                self._items.move_to_end(digest)
            return item

    def put(self, digest: str, item: Any) -> None:
        with self._lock:
            self._items[digest] = item
            self._items.move_to_end(digest)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
