"""Follows the event log and hands each booking event's side effects to Celery."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.projector import Projector, follow
from projections.sources import LogSource
from projections.views import VIEWS
from projections.wakeup import Wakeup
from providers.dispatcher import RETRY_LOOK, Dispatcher


class Command(BaseCommand):
    help = "Record and enqueue the side effects (calendar syncs, ...) of booking events, forever."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--views",
            nargs="*",
            default=[],
            choices=sorted(VIEWS),
            metavar="view",
            help="also keep these views current (SQL, from the log), in the same loop: one process follows the log",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        source = LogSource(get_app())
        views = [Projector(VIEWS[name], source) for name in dict.fromkeys(options["views"])]
        follow([*views, Dispatcher(source)], stop, Wakeup(source.app.recorder, fallback=RETRY_LOOK))
