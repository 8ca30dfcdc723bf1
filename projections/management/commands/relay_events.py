import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from kafka.errors import KafkaError

from booking.bootstrap import get_app
from projections.leadership import leadership
from projections.relay import Relay, ensure_topic, producer


class Command(BaseCommand):
    help = "Publish the event log to Kafka in order (one active relay; others wait as hot standbys)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        bootstrap, topic = settings.SLOTWISE_KAFKA_BOOTSTRAP, settings.SLOTWISE_KAFKA_TOPIC
        self.stderr.write("relay: waiting to lead")
        with leadership("slotwise-relay", stop) as leading:
            if not leading:
                return
            self.stderr.write(f"relay: leading; publishing to {topic} on {bootstrap}")
            while not stop.is_set():
                try:
                    ensure_topic(bootstrap, topic, settings.SLOTWISE_KAFKA_PARTITIONS)
                    kafka = producer(bootstrap)
                    break
                except KafkaError as error:  # broker down: keep waiting, lose nothing
                    self.stderr.write(f"relay: broker unavailable ({error!r}); retrying")
                    stop.wait(2.0)
            else:
                return
            try:
                Relay(get_app(), kafka, topic, options["batch_size"]).run_forever(stop)
            finally:
                kafka.close(timeout=10)
