import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.bootstrap import get_app
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS


class Command(BaseCommand):
    help = "Keep a view up to date with the event log until stopped (SIGINT/SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("--source", choices=["log"], default="log", help="where events come from")
        parser.add_argument("--store", choices=["sql"], default="sql", help="where the view is kept")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        view = VIEWS.get(options["view"])
        if view is None:
            raise CommandError(f"no view {options['view']!r}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        projector = Projector(view, LogSource(get_app()), batch_size=options["batch_size"])
        self.stderr.write(f"projector {view.name}: following the event log")
        projector.run_forever(stop)
