"""A real gunicorn serving the test database, for tests that need real concurrency over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def django_env() -> dict[str, str]:
    """The environment a child process needs to use this test's databases."""
    db = connections["default"].settings_dict
    env = {**os.environ, "SLOTWISE_SECRET_KEY": settings.SECRET_KEY, "DJANGO_SETTINGS_MODULE": "booking.settings"}
    env["SLOTWISE_ALLOW_PRIVATE_URLS"] = "1" if settings.SLOTWISE_ALLOW_PRIVATE_URLS else "0"  # as in this test
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SLOTWISE_SQLITE_PATH"] = str(db["NAME"])
        env["SLOTWISE_EVENT_STORE_PATH"] = settings.SLOTWISE_EVENT_STORE_PATH
    return env


@contextmanager
def gunicorn(workers: int = 2, threads: int = 16, env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: nobody reads a pipe while the test runs
        yield from _serve(port, log, workers, threads, env)


def _serve(port: int, log: IO[bytes], workers: int, threads: int, env: dict[str, str] | None) -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "booking.wsgi",
            "-c",
            "booking/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**django_env(), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log,  # a full pipe would stall the server
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start: {log.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def call_like_a_client(
    base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """`call`, sent again as the problem says a client may after a `503 overloaded` (the request
    was shed before anything of it ran, on a machine busy for a moment): the answer to the
    request as it was finally run."""
    for _ in range(30):
        status, answer = call(base, method, path, body, headers)
        if status != 503 or not isinstance(answer, dict) or not answer.get("type", "").endswith(":overloaded"):
            return status, answer
        time.sleep(1.0)  # its Retry-After
    return status, answer


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Runs every call in its own thread, released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
