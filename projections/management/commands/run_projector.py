import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.kafka_projector import KafkaProjector, consumer
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS


class Command(BaseCommand):
    help = "Keep a view up to date until stopped (SIGINT/SIGTERM), from the event log or from Kafka."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("--source", choices=["log", "kafka"], default=settings.SLOTWISE_EVENT_TRANSPORT)
        parser.add_argument("--store", choices=["sql"], default="sql", help="where the view is kept")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        view = VIEWS[options["view"]]
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if options["source"] == "kafka":
            bootstrap, topic = settings.SLOTWISE_KAFKA_BOOTSTRAP, settings.SLOTWISE_KAFKA_TOPIC
            self.stderr.write(f"projector {view.name}: consuming {topic} from {bootstrap}")
            kafka = consumer(bootstrap, view.name, options["batch_size"])
            try:
                KafkaProjector(view, kafka, topic).run_forever(stop)
            finally:
                kafka.close()
            return
        self.stderr.write(f"projector {view.name}: following the event log")
        Projector(view, LogSource(get_app()), batch_size=options["batch_size"]).run_forever(stop)
