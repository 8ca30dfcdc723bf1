"""Serve the API and keep everything behind it running: gunicorn, one process that follows the
log (every view and the side-effect dispatcher), and a Celery worker that also runs beat.

This command works out the command lines, then hands over to booking.supervisor, which keeps
them running without holding a Django process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.settings.paths import VAR_DIR
from projections.views import VIEWS

ROOT = Path(__file__).resolve().parents[3]
# Below the web workers, and the views above the side effects: the availability view is what
# slot answers are checked against, an email or a calendar sync can wait a minute.
FOLLOWER_NICENESS = int(os.environ.get("SLOTWISE_FOLLOWER_NICENESS", "5"))
WORKER_NICENESS = int(os.environ.get("SLOTWISE_WORKER_NICENESS", "15"))


class Command(BaseCommand):
    help = (
        "Serve the API with gunicorn; follow the log (views, side effects) and run a Celery worker with beat beside it."
    )

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
        web = [str(bin_dir / "gunicorn"), "booking.wsgi", "-c", "booking/gunicorn_conf.py"]
        web += ["--bind", f"{options['host']}:{options['port']}", "--workers", options["workers"]]
        web += ["--threads", options["threads"], "--log-level", "warning"]
        # One process follows the log for every view and the dispatcher, in one loop (they read
        # the same pages; each Django process is ~120 MB). The chart runs them apart, to scale.
        background = {"followers": [sys.executable, "manage.py", "dispatch_side_effects", "--views", *sorted(VIEWS)]}
        # The side effects wait on the network (SMTP, calendars, webhooks), not the CPU: two threads
        # in one process do what two forked children did, in a third of the memory. The same
        # process runs the scheduler (-B: due reminders each minute, spent rate budgets hourly,
        # the ledger daily); there is exactly one of it here. The chart runs beat on its own.
        background["worker"] = [sys.executable, "-m", "celery", "-A", "booking.celery", "worker", "-P", "threads"]
        background["worker"] += ["-c", "2", "-B", "-Q", "providers,notifications,webhooks", "-l", "WARNING"]
        background["worker"] += ["--without-gossip", "--without-mingle"]
        plan = {
            "cwd": str(ROOT),
            "web": web,
            "web_env": {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
            "background": background,
            "niceness": {"followers": FOLLOWER_NICENESS, "worker": WORKER_NICENESS},
        }
        sys.stdout.flush()
        sys.stderr.flush()
        # this process becomes the supervisor: same pid (signals, `make run`), no Django in it
        os.execv(sys.executable, [sys.executable, "-m", "booking.supervisor", json.dumps(plan)])  # noqa: S606  # nosec B606  # - our own interpreter and module
