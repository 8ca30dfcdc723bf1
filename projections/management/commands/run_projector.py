import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.bootstrap import get_app
from projections.elastic.applier import EsApplier
from projections.elastic.client import client, ensure_alias
from projections.kafka_projector import KafkaProjector, consumer
from projections.projector import Projector, follow
from projections.sources import LogSource
from projections.views import VIEWS
from projections.views.base import View


class Command(BaseCommand):
    help = "Keep a view up to date until stopped (SIGINT/SIGTERM), from the event log or from Kafka."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "views",
            nargs="+",
            choices=sorted(VIEWS),
            metavar="view",
            help=f"one or more of {', '.join(sorted(VIEWS))}: from the log, one process keeps them all",
        )
        parser.add_argument("--source", choices=["log", "kafka"], default=settings.SLOTWISE_EVENT_TRANSPORT)
        parser.add_argument(
            "--store",
            choices=["sql", "elasticsearch"],
            default=settings.SLOTWISE_READ_STORE,
            help="where the view is kept",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        views = [VIEWS[name] for name in dict.fromkeys(options["views"])]
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if options["source"] == "kafka":
            if len(views) != 1:
                raise CommandError("from Kafka, each view has its own consumer group: one view per process")
            view = views[0]
            applier = self._applier(view, options["store"])
            bootstrap, topic = settings.SLOTWISE_KAFKA_BOOTSTRAP, settings.SLOTWISE_KAFKA_TOPIC
            self.stderr.write(f"projector {view.name}: consuming {topic} from {bootstrap}")
            group = applier.key if applier is not None else view.name  # one consumer group per view and store
            kafka = consumer(bootstrap, group, options["batch_size"])
            try:
                KafkaProjector(view, kafka, topic, applier=applier).run_forever(stop)
            finally:
                kafka.close()
            return
        self.stderr.write(f"projector {' '.join(v.name for v in views)}: following the event log")
        source = LogSource(get_app())
        projectors = [
            Projector(view, source, batch_size=options["batch_size"], applier=self._applier(view, options["store"]))
            for view in views
        ]
        follow(projectors, stop)

    @staticmethod
    def _applier(view: View, store: str) -> EsApplier | None:
        """The Elasticsearch store for a view that can live there; None keeps it in SQL."""
        if store != "elasticsearch" or "elasticsearch" not in view.stores:
            return None
        es = client()
        ensure_alias(es, view.name)
        return EsApplier(view=view, es=es)
