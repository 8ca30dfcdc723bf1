"""Keeps `make run`'s processes running: gunicorn in front, the background processes beside
it, each once (never once per web worker). One that dies is restarted with backoff; when
gunicorn stops, everything stops.

Django-free on purpose: `manage.py serve` works out the command lines with the settings loaded,
then replaces itself with this module (`python -m booking.supervisor <plan>`), so the process
that only watches the others holds ~10 MB instead of a whole Django process (~120 MB).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess  # nosec B404  # - starts gunicorn and our own background processes, never a shell
import sys
import time
from typing import Any


def supervise(plan: dict[str, Any]) -> int:
    """`plan`: {"cwd", "web": argv, "web_env": extra environment, "background": {name: argv},
    "niceness": {name: niceness} of the background processes}. Returns gunicorn's exit status."""
    cwd, niceness = plan["cwd"], {name: int(value) for name, value in plan["niceness"].items()}
    web = subprocess.Popen(plan["web"], cwd=cwd, env={**os.environ, **plan["web_env"]})  # noqa: S603  # nosec B603  # - our own fixed command line, no shell
    background: dict[str, list[str]] = plan["background"]
    running = {name: _start(command, cwd, niceness.get(name, 0)) for name, command in background.items()}
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    restarts = dict.fromkeys(background, 0)
    try:
        while not stopping and web.poll() is None:
            for name, proc in running.items():
                if proc.poll() is not None:
                    restarts[name] += 1
                    delay = min(2 ** restarts[name], 30)
                    print(f"{name} exited ({proc.returncode}); restarting in {delay}s", file=sys.stderr, flush=True)
                    time.sleep(delay)
                    running[name] = _start(background[name], cwd, niceness.get(name, 0))
            time.sleep(0.5)
    finally:
        for proc in (web, *running.values()):
            if proc.poll() is None:
                proc.terminate()
        for proc in (web, *running.values()):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if web.returncode not in (0, -signal.SIGTERM, None) and not stopping:
        return int(web.returncode)
    return 0


def _start(command: list[str], cwd: str, niceness: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(command, cwd=cwd)  # noqa: S603  # nosec B603  # - our own fixed command lines, no shell
    # below the web workers: under a spike the cores serve requests first, then the views, and
    # the ledger absorbs the side effects, to catch up after it. Set before the process forks
    # its own (a Celery worker's pool inherits it).
    with contextlib.suppress(OSError):  # a process that already exited
        os.setpriority(os.PRIO_PROCESS, proc.pid, niceness)
    return proc


if __name__ == "__main__":
    raise SystemExit(supervise(json.loads(sys.argv[1])))
