from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.elastic.client import client
from projections.elastic.replay import replay_es
from projections.replay import progress_bar, replay
from projections.sources import LogSource
from projections.views import VIEWS


class Command(BaseCommand):
    help = "Rebuild a view from the event store into fresh tables, then swap it in atomically."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("--store", choices=["sql", "elasticsearch"], default=settings.SLOTWISE_READ_STORE)
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        view = VIEWS[options["view"]]
        source, bar = LogSource(get_app()), progress_bar(self.stderr)
        if options["store"] == "elasticsearch" and "elasticsearch" in view.stores:
            position = replay_es(view, source, client(), options["batch_size"], bar)
        else:
            position = replay(view, source, options["batch_size"], bar)
        self.stderr.write("")
        self.stdout.write(f"{view.name}: rebuilt to position {position} and swapped in")
