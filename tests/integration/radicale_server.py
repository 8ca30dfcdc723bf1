"""A real Radicale CalDAV server on a free loopback port, with password checks, for provider tests."""

from __future__ import annotations

import base64
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.integration.server import free_port

CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
max_connections = 32
delay_on_error = 0

[auth]
type = htpasswd
htpasswd_filename = {htpasswd}
htpasswd_encryption = plain
# refused passwords are answered at once: the tests try one on purpose
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {storage}

[web]
type = none

[logging]
level = warning
"""


@dataclass(frozen=True)
class RadicaleServer:
    url: str  # ends with "/"
    username: str
    password: str

    def calendar_url(self, name: str) -> str:
        return f"{self.url}{self.username}/{name}/"


@contextmanager
def radicale(username: str = "ada", password: str = "s3cret") -> Iterator[RadicaleServer]:
    """Starts Radicale on its own temporary storage; stops it (terminate, then kill) on exit."""
    with tempfile.TemporaryDirectory(prefix="radicale-") as tmp:
        port = free_port()
        config = _write_config(Path(tmp), port, username, password)
        log = Path(tmp) / "radicale.log"
        with log.open("wb") as sink:
            # a file, not a pipe: a pipe nobody reads would stall the server once full
            proc = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)], stdout=sink, stderr=subprocess.STDOUT
            )
        server = RadicaleServer(f"http://127.0.0.1:{port}/", username, password)
        try:
            _wait_until_answering(server, proc, log)
            yield server
        finally:
            _stop(proc)


def _write_config(tmp: Path, port: int, username: str, password: str) -> Path:
    htpasswd = tmp / "users"
    htpasswd.write_text(f"{username}:{password}\n")
    config = tmp / "config"
    config.write_text(CONFIG.format(port=port, htpasswd=htpasswd, storage=tmp / "collections"))
    return config


def _wait_until_answering(server: RadicaleServer, proc: subprocess.Popen[bytes], log: Path, within: float = 20) -> None:
    credentials = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    request = urllib.request.Request(
        f"{server.url}{server.username}/", method="PROPFIND", headers={"Authorization": f"Basic {credentials}"}
    )
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered: the server is up
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"radicale did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
