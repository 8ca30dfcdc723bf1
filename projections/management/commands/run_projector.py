import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.elastic.applier import EsApplier
from projections.elastic.client import client, ensure_alias
from projections.kafka_projector import KafkaProjector, consumer
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS


class Command(BaseCommand):
    help = "Keep a view up to date until stopped (SIGINT/SIGTERM), from the event log or from Kafka."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("view", choices=sorted(VIEWS))
        parser.add_argument("--source", choices=["log", "kafka"], default=settings.SLOTWISE_EVENT_TRANSPORT)
        parser.add_argument(
            "--store",
            choices=["sql", "elasticsearch"],
            default=settings.SLOTWISE_READ_STORE,
            help="where the view is kept",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        view = VIEWS[options["view"]]
        applier = None
        if options["store"] == "elasticsearch" and "elasticsearch" in view.stores:
            es = client()
            ensure_alias(es, view.name)
            applier = EsApplier(view=view, es=es)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if options["source"] == "kafka":
            bootstrap, topic = settings.SLOTWISE_KAFKA_BOOTSTRAP, settings.SLOTWISE_KAFKA_TOPIC
            self.stderr.write(f"projector {view.name}: consuming {topic} from {bootstrap}")
            group = applier.key if applier is not None else view.name  # one consumer group per view and store
            kafka = consumer(bootstrap, group, options["batch_size"])
            try:
                KafkaProjector(view, kafka, topic, applier=applier).run_forever(stop)
            finally:
                kafka.close()
            return
        self.stderr.write(f"projector {view.name}: following the event log")
        Projector(view, LogSource(get_app()), batch_size=options["batch_size"], applier=applier).run_forever(stop)
