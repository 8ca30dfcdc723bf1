"""Serve the API and keep everything behind it running: gunicorn, one projector process for
every view, the side-effect dispatcher, and a Celery worker that also runs beat.

The background processes run beside the web workers, once each (never once per worker). One
that dies is restarted with backoff; when gunicorn stops, everything stops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess  # nosec B404  # - starts gunicorn and our own background processes, never a shell
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.settings.paths import VAR_DIR
from projections.views import VIEWS

ROOT = Path(__file__).resolve().parents[3]
BACKGROUND_NICENESS = int(os.environ.get("SLOTWISE_BACKGROUND_NICENESS", "10"))


class Command(BaseCommand):
    help = "Serve the API with gunicorn; run the projectors, the dispatcher and a Celery worker with beat beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", default="2")
        parser.add_argument("--threads", default="8")

    def handle(self, *args: Any, **options: Any) -> None:
        bin_dir = Path(sys.executable).parent
        # every worker writes its metrics here; /metrics sums them (prometheus_client multiprocess)
        metrics_dir = VAR_DIR / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        web_env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        web = subprocess.Popen(  # noqa: S603  # nosec B603  # - our own fixed command line, no shell
            [
                str(bin_dir / "gunicorn"),
                "booking.wsgi",
                "-c",
                "booking/gunicorn_conf.py",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                options["workers"],
                "--threads",
                options["threads"],
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=web_env,
        )
        # one process keeps every view (they follow the same log; one process is ~100 MB, not three)
        background = {"projectors": [sys.executable, "manage.py", "run_projector", *sorted(VIEWS)]}
        background["dispatcher"] = [sys.executable, "manage.py", "dispatch_side_effects"]
        # The side effects wait on the network (SMTP, calendars, webhooks), not the CPU: two threads
        # in one process do what two forked children did, in a third of the memory. The same
        # process runs the scheduler (-B: due reminders each minute, spent rate budgets hourly,
        # the ledger daily); there is exactly one of it here. The chart runs beat on its own.
        background["worker"] = [sys.executable, "-m", "celery", "-A", "booking.celery", "worker", "-P", "threads"]
        background["worker"] += ["-c", "2", "-B", "-Q", "providers,notifications,webhooks", "-l", "WARNING"]
        background["worker"] += ["--without-gossip", "--without-mingle"]
        projectors = {name: self._start(command) for name, command in background.items()}
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        restarts: dict[str, int] = dict.fromkeys(background, 0)
        try:
            while not stopping and web.poll() is None:
                for name, proc in projectors.items():
                    if proc.poll() is not None:
                        restarts[name] += 1
                        delay = min(2 ** restarts[name], 30)
                        self.stderr.write(f"{name} exited ({proc.returncode}); restarting in {delay}s")
                        time.sleep(delay)
                        projectors[name] = self._start(background[name])
                time.sleep(0.5)
        finally:
            for proc in (web, *projectors.values()):
                if proc.poll() is None:
                    proc.terminate()
            for proc in (web, *projectors.values()):
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if web.returncode not in (0, -signal.SIGTERM, None) and not stopping:
            raise SystemExit(web.returncode)

    @staticmethod
    def _start(command: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(command, cwd=ROOT)  # noqa: S603  # nosec B603  # - our own fixed command lines, no shell
        # below the web workers: under a spike the cores serve requests first and the ledger and
        # the views absorb the work, to catch up after it. Set before the process forks its own
        # (a Celery worker's pool inherits it).
        with contextlib.suppress(OSError):  # a process that already exited
            os.setpriority(os.PRIO_PROCESS, proc.pid, BACKGROUND_NICENESS)
        return proc
