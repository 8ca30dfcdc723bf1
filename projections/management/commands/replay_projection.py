from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.replay import progress_bar, replay
from projections.sources import LogSource
from projections.views import VIEWS


class Command(BaseCommand):
    help = "Rebuild a view from the event store into fresh tables, then swap it in atomically."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("--store", choices=["sql"], default="sql")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        view = VIEWS[options["view"]]
        position = replay(view, LogSource(get_app()), options["batch_size"], progress_bar(self.stderr))
        self.stderr.write("")
        self.stdout.write(f"{view.name}: rebuilt to position {position} and swapped in")
