"""Persisted queries: the APQ protocol against a real Redis, the allow-list, persisted-only mode."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Iterator
from io import StringIO
from typing import Any
from uuid import uuid4

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError

from booking.application import Slotwise
from tests.integration.graphql_support import OPERATIONS, Gql, operation
from tests.integration.server import gunicorn

REDIS_URL = "redis://127.0.0.1:6379/0"
STATS = "{ agendaStats { key bookings } }"


def _hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[str]:
    """The persisted-query cache on the machine's Redis, under a prefix of this test's own."""
    prefix = f"slotwise-test-{uuid4().hex[:12]}"
    settings.CACHES = {
        **settings.CACHES,
        "persisted-queries": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
            "TIMEOUT": 60,
        },
    }
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_automatic_persisted_queries_miss_register_then_hit(app: Slotwise, api_key: str, redis_cache: str) -> None:
    gql, digest = Gql(api_key), _hash(STATS)
    miss = gql(None, extensions=_apq(digest))
    assert miss.status == 200 and miss.codes == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.errors[0]["message"] == "PersistedQueryNotFound"
    registered = gql(STATS, extensions=_apq(digest))
    assert registered.data == {"agendaStats": []}
    stored = [k.decode() for k in redis.Redis.from_url(REDIS_URL).scan_iter(f"{redis_cache}:*")]
    assert len(stored) == 1 and stored[0].endswith(f"apq:{digest}")
    hit = gql(None, extensions=_apq(digest))
    assert hit.data == {"agendaStats": []} and not hit.errors
    # a GET with only the hash works too (cacheable by CDNs)
    fetched = gql.get({"extensions": json.dumps(_apq(digest))})
    assert fetched.data == {"agendaStats": []}
    mismatch = gql(STATS + " ", extensions=_apq(digest))
    assert mismatch.codes == ["persisted_query_hash_mismatch"]


def test_persisted_only_mode_runs_registered_documents_alone(app: Slotwise, api_key: str, settings: Any) -> None:
    settings.SLOTWISE_GRAPHQL_PERSISTED_ONLY = True
    gql, agenda = Gql(api_key), operation("agenda")
    assert gql(STATS).codes == ["persisted_query_required"]
    assert gql(STATS, extensions=_apq(_hash(STATS))).codes == ["persisted_query_required"]  # no registering
    assert gql(None, extensions=_apq(_hash(agenda))).codes == ["PERSISTED_QUERY_NOT_FOUND"]
    out = StringIO()
    call_command("graphql_register", str(OPERATIONS / "agenda.graphql"), str(OPERATIONS / "slots.graphql"), stdout=out)
    printed = out.getvalue().split()
    assert _hash(agenda) in printed and _hash(operation("slots")) in printed
    by_hash = gql(None, {"first": 5}, extensions=_apq(_hash(agenda)))
    assert not by_hash.errors and by_hash.data["agenda"]["edges"] == []
    assert not gql(agenda, {"first": 5}).errors  # the registered text itself is allowed
    assert gql(STATS, extensions=_apq(_hash(STATS))).codes == ["persisted_query_required"]
    # registering again is harmless; an invalid document is refused whole
    again = StringIO()
    call_command("graphql_register", str(OPERATIONS / "agenda.graphql"), stdout=again)
    assert "already registered" in again.getvalue()


def test_register_refuses_documents_that_do_not_validate(app: Slotwise, tmp_path: Any) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ agenda { edges { nope } } }")
    with pytest.raises(CommandError, match="nope"):
        call_command("graphql_register", str(bad), stdout=StringIO())


def test_workers_share_persisted_queries_through_redis(app: Slotwise, api_key: str) -> None:
    """Two gunicorn workers: a query registered through one is found by the other."""
    prefix = f"slotwise-test-{uuid4().hex[:12]}"
    digest = _hash(STATS)
    env = {"SLOTWISE_REDIS_URL": REDIS_URL, "SLOTWISE_REDIS_PREFIX": prefix}
    with gunicorn(workers=2, threads=2, env=env) as base:

        def post(body: dict[str, Any]) -> dict[str, Any]:
            request = urllib.request.Request(
                f"{base}/graphql",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.loads(response.read()))

        assert post({"extensions": _apq(digest)})["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        post({"query": STATS, "extensions": _apq(digest)})
        answers = [post({"extensions": _apq(digest)}) for _ in range(20)]
    assert all(a.get("data") == {"agendaStats": []} for a in answers), answers
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
