"""Follows the event log and hands each booking event's side effects to Celery."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from booking.bootstrap import get_app
from projections.sources import LogSource
from providers.dispatcher import Dispatcher


class Command(BaseCommand):
    help = "Record and enqueue the side effects (calendar syncs, ...) of booking events, forever."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        Dispatcher(LogSource(get_app())).run_forever(stop)
