"""A PostgreSQL that stops taking connections makes requests answer 503 store_unavailable with
Retry-After, never a 500, and the server recovers by itself when it comes back.

The server gets a database of its own, so that refusing connections to it cannot disturb this
test's own database (or, on the SQLite pass, the test is still about the PostgreSQL path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from tests.integration.server import ROOT, django_env, gunicorn

ADMIN = os.environ.get("SLOTWISE_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def _get(base: str, path: str, key: str) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(f"{base}/api/v1{path}", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), json.loads(refused.read() or b"null")


@pytest.fixture
def own_database() -> Iterator[tuple[psycopg.Connection[Any], str, dict[str, str]]]:
    name = f"slotwise_unavailable_{uuid4().hex[:8]}"
    admin = psycopg.connect(ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base_url = ADMIN.rsplit("/", 1)[0]
    env = {**django_env(), "DATABASE_URL": f"{base_url}/{name}", "SLOTWISE_DB_POOL_TIMEOUT": "1"}
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        yield admin, name, env
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_requests_get_503_with_retry_after_while_the_database_refuses_connections(
    own_database: tuple[psycopg.Connection[Any], str, dict[str, str]],
) -> None:
    admin, name, env = own_database
    made = subprocess.run(
        [sys.executable, "manage.py", "create_api_key", "unavailable"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    with gunicorn(workers=1, threads=4, env=env) as base:
        assert _get(base, "/hosts", key)[0] == 200

        # the database goes away: no new connections, and the open ones are cut
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        for _ in range(100):  # termination is asynchronous: wait until the backends are gone
            left = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()
            if left is not None and left[0] == 0:
                break
            time.sleep(0.05)
        for path in ("/hosts", "/hosts", "/agenda?from=2026-01-01&to=2026-01-31"):
            status, headers, body = _get(base, path, key)
            assert status == 503, body
            assert headers["Content-Type"] == "application/problem+json"
            assert headers["Retry-After"] == "1"
            assert body["code"] == "store_unavailable" and body["status"] == 503

        # and comes back: the pools reconnect by themselves (psycopg_pool retries with backoff),
        # nothing to restart; meanwhile every answer is a 200 or the same clean 503
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        deadline, seen = time.monotonic() + 30, []
        while time.monotonic() < deadline:
            status, _, body = _get(base, "/hosts", key)
            seen.append(status)
            if status == 200:
                break
            assert status == 503 and body["code"] == "store_unavailable", body
            time.sleep(0.25)
        assert seen[-1] == 200, seen
