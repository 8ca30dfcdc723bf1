"""The official `elasticsearch` client, and the indices and aliases the views live in.

Real Elasticsearch is the default. `SLOTWISE_ES_PLAIN_JSON=1` makes the client send plain
`application/json` instead of its `compatible-with=9` media types, for OpenSearch-API servers
that refuse those (the in-memory emulator the tests run against): see docs/elasticsearch.md.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from elastic_transport import HttpHeaders, Urllib3HttpNode
from elasticsearch import Elasticsearch

MAPPINGS: dict[str, dict[str, Any]] = {
    "agenda": {
        "dynamic": "strict",
        "properties": {
            "kind": {"type": "keyword"},
            "organisationId": {"type": "keyword"},
            "hostId": {"type": "keyword"},
            "eventTypeId": {"type": "keyword"},
            "name": {"type": "text"},
            "email": {"type": "keyword"},
            "slug": {"type": "keyword"},
            "settings": {"type": "object", "enabled": False},  # kept, not searched
            "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            "timeZone": {"type": "keyword"},
            "uid": {"type": "keyword"},
            "attendeeName": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            "attendeeEmail": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            "attendeeTimeZone": {"type": "keyword"},
            "hostTimeZone": {"type": "keyword"},
            "start": {"type": "date"},
            "end": {"type": "date"},
            "startLocal": {"type": "keyword"},
            "endLocal": {"type": "keyword"},
            "localDate": {"type": "date", "format": "strict_date"},
            "minutes": {"type": "integer"},
            "status": {"type": "keyword"},
            "createdAt": {"type": "date"},
            "updatedAt": {"type": "date"},
        },
    },
    "availability": {
        "dynamic": "strict",
        "properties": {
            "kind": {"type": "keyword"},
            "hostId": {"type": "keyword"},
            "localDate": {"type": "date", "format": "strict_date"},
            "bookingUid": {"type": "keyword"},
            "eventTypeId": {"type": "keyword"},
            "start": {"type": "date"},
            "end": {"type": "date"},
            "blockedStart": {"type": "date"},
            "blockedEnd": {"type": "date"},
            "startDate": {"type": "date", "format": "strict_date"},
        },
    },
}


# The index of a view kept only in SQL (View.stores): empty, so code that walks every view works alike.
NO_DOCUMENTS: dict[str, Any] = {"dynamic": "strict", "properties": {}}


class PlainJsonNode(Urllib3HttpNode):
    """Sends plain JSON media types (for OpenSearch-API servers only; never needed by Elasticsearch)."""

    def perform_request(  # type: ignore[override]
        self, method: str, target: str, body: bytes | None = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        plain = HttpHeaders(headers or {})
        for name in ("accept", "content-type"):
            value = str(plain.get(name, ""))
            if "compatible-with" in value:
                plain[name] = "application/x-ndjson" if "x-ndjson" in value else "application/json"
        return super().perform_request(method, target, body=body, headers=plain, **kwargs)


_clients: dict[str, Elasticsearch] = {}


def client() -> Elasticsearch:
    url = settings.SLOTWISE_ES_URL
    if url not in _clients:
        options: dict[str, Any] = {"request_timeout": 30, "retry_on_timeout": True, "max_retries": 2}
        if settings.SLOTWISE_ES_PLAIN_JSON:
            options["node_class"] = PlainJsonNode
        _clients[url] = Elasticsearch(url, **options)
    return _clients[url]


def alias(view: str) -> str:
    return f"{settings.SLOTWISE_ES_PREFIX}-{view}"


def create_index(es: Elasticsearch, view: str) -> str:
    """A fresh, empty index for a view (not yet behind its alias)."""
    name = f"{alias(view)}-{time.time_ns()}"
    es.indices.create(index=name, mappings=MAPPINGS.get(view, NO_DOCUMENTS), settings={"number_of_shards": 1})
    return name


def ensure_alias(es: Elasticsearch, view: str) -> None:
    """Creates the view's first index behind its alias, or adds fields a newer release maps."""
    if not es.indices.exists_alias(name=alias(view)):
        es.indices.put_alias(index=create_index(es, view), name=alias(view))
    else:  # additive: new fields only; documents written before stay as they were until a replay
        es.indices.put_mapping(index=alias(view), properties=MAPPINGS.get(view, NO_DOCUMENTS)["properties"])


def switch_alias(es: Elasticsearch, view: str, index: str) -> list[str]:
    """Points the alias at `index` in one atomic call; returns the indices it left."""
    name = alias(view)
    old = list(es.indices.get_alias(name=name)) if es.indices.exists_alias(name=name) else []
    actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": name}} for i in old]
    actions.append({"add": {"index": index, "alias": name}})
    es.indices.update_aliases(actions=actions)
    return old
