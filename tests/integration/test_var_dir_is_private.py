"""`make run` on a fresh var/: no API key kept in plain text, nothing readable by anyone but the owner.

The commands run as `make run` runs them (migrate, seed_demo, serve), in child processes with
their own var/ folder, on the store under test (on SQLite, a fresh embedded store in that folder).
"""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.server import ROOT, django_env, free_port


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def env(transactional_db: None, var_dir: Path) -> dict[str, str]:
    """The test's database on PostgreSQL, or a fresh SQLite store under var_dir; secrets kept there."""
    made = django_env()
    for variable in (
        "SLOTWISE_SECRET_KEY",
        "SLOTWISE_CREDENTIALS_KEY",
        "SLOTWISE_SQLITE_PATH",
        "SLOTWISE_EVENT_STORE_PATH",
    ):
        made.pop(variable, None)
    made["SLOTWISE_VAR_DIR"] = str(var_dir)
    return made


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _demo_key(printed: str) -> str:
    lines = printed.splitlines()
    return lines[lines.index("Slotwise demo is ready. Demo API key:") + 1].strip()


def _status(base: str, path: str, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{base}{path}", headers=headers), timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError:
        return 0  # not listening yet


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`manage.py serve` (gunicorn, projectors, dispatcher, Celery worker and beat), ready, until the block ends."""
    port = free_port()
    command = [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1", "--threads", "2"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while _status(base, "/readyz") != 200:
            assert proc.poll() is None, "serve exited before it was ready"
            assert time.monotonic() < deadline, "serve did not become ready"
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _open_to_others(root: Path) -> list[str]:
    """Every path at or under root that its group or anyone else may read, write or enter. A file
    gone between the listing and its stat (SQLite's -wal and -shm files go when the last
    connection closes) is open to nobody."""
    found = []
    for path in [root, *root.rglob("*")]:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append(f"{oct(stat.S_IMODE(mode))} {path}")
    return found


def _holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_make_run_keeps_no_demo_key_and_nothing_open_to_others(env: dict[str, str], var_dir: Path) -> None:
    # given a fresh var/ folder, seeded twice as two `make run`s would
    _manage(env, "migrate", "--noinput", "-v", "0")
    first = _demo_key(_manage(env, "seed_demo"))
    second = _demo_key(_manage(env, "seed_demo"))

    # when the whole embedded stack serves from it (databases open, queues, metrics, beat written)
    with serving(env) as base:
        answers = {key: _status(base, "/api/v1/hosts", key) for key in (first, second)}
        _status(base, "/metrics")
        while_serving = _open_to_others(var_dir)
        metric_files = sorted(p.name for p in (var_dir / "prometheus").glob("*.db"))

    # then each run printed a new key and revoked the one before
    assert first != second
    assert answers == {first: 401, second: 200}
    # and no file under var/ holds either key
    assert _holding(var_dir, first) == [] and _holding(var_dir, second) == []
    # and nothing under var/ was, or is, open to anyone but its owner. SQLite gives its -wal and
    # -shm files the database file's own mode, and they exist only while a connection is open,
    # so the databases' modes stand for them (any seen while serving was checked above)
    assert while_serving == []
    assert _open_to_others(var_dir) == []
    assert metric_files, "gunicorn wrote no multiprocess metrics: the check above saw none"
    if "DATABASE_URL" not in env:
        assert {"slotwise.sqlite3", "eventstore.sqlite3"} <= {p.name for p in var_dir.iterdir()}
    assert {"secret_key", "credentials_key"} <= {p.name for p in var_dir.iterdir()}
