"""The relay: publishes the event log to Kafka as versioned public messages, in order.

At-least-once: a page is produced, the broker acknowledges every message, and only then is
the relay's position moved. A crash between the two re-sends that page; consumers are
idempotent. Keys are host ids, so each host's events stay in order on one partition.
Internal bookkeeping events (idempotency records, slug registries) are not published.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from booking.application import Slotwise
from booking.domain.event_type import EventTypeRegistry
from booking.domain.host import Host
from booking.domain.idempotency import IdempotencyRecord
from booking.domain.organisation import Organisation
from booking.public_events import envelope
from projections import positions
from projections.wakeup import Wakeup

log = logging.getLogger("slotwise.relay")
RELAY = "kafka-relay"
UNPUBLISHED = (IdempotencyRecord.Event, EventTypeRegistry.Event)


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="slotwise-admin")
    try:
        admin.create_topics([NewTopic(name=topic, num_partitions=partitions, replication_factor=1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        retries=5,
        request_timeout_ms=10_000,
        max_block_ms=10_000,
        client_id="slotwise-relay",
    )


@dataclass
class Relay:
    app: Slotwise
    producer: KafkaProducer
    topic: str
    batch_size: int = 500
    hosts: OrderedDict[UUID, UUID] = field(default_factory=OrderedDict)  # aggregate -> host, bounded

    def step(self) -> int:
        """Publishes one page and records it; returns how many log entries it moved past."""
        start = positions.current(RELAY)
        page = self.app.recorder.select_notifications(start=start + 1, limit=self.batch_size)
        if not page:
            return 0
        sent = []
        last_event: Any = None
        for notification in page:
            event = self.app.mapper.to_domain_event(notification)
            last_event = event
            if isinstance(event, UNPUBLISHED):
                continue
            message = envelope(event, notification.id)
            sent.append(
                self.producer.send(
                    self.topic,
                    key=str(self._host_of(event)).encode(),
                    value=json.dumps(message, separators=(",", ":")).encode(),
                    headers=[
                        ("eventId", message["eventId"].encode()),
                        ("type", message["type"].encode()),
                        ("position", str(notification.id).encode()),
                    ],
                )
            )
        self.producer.flush(timeout=30)
        for future in sent:
            future.get(timeout=30)  # raises if the broker did not take it: the position stays
        with transaction.atomic():
            positions.advance(RELAY, start, page[-1].id, last_event.timestamp)
        return len(page)

    def _host_of(self, event: Any) -> UUID:
        """The partition key: the host whose calendar the event belongs to."""
        aggregate_id: UUID = event.originator_id
        if isinstance(event, Host.Event):
            return aggregate_id
        if isinstance(event, Organisation.Event):
            return aggregate_id  # organisation-wide, not any one host's
        host_id = getattr(event, "host_id", None) or self.hosts.get(aggregate_id)
        if host_id is None:
            host_id = self.app.repository.get(aggregate_id).host_id
        self.hosts[aggregate_id] = host_id
        self.hosts.move_to_end(aggregate_id)
        if len(self.hosts) > 100_000:
            self.hosts.popitem(last=False)
        return UUID(str(host_id))

    def run_forever(self, stop: threading.Event, wakeup: Wakeup | None = None) -> None:
        failures = 0
        with wakeup or Wakeup(self.app.recorder) as waiting:
            while not stop.is_set():
                waiting.listen()
                try:
                    moved = self.step()
                except (KafkaError, positions.PositionMoved) as error:
                    failures += 1
                    delay = min(0.5 * 2**failures, 30)
                    log.warning("relay could not publish; retrying", extra={"error": repr(error), "retryIn": delay})
                    stop.wait(delay)
                    continue
                failures = 0
                if moved:
                    waiting.busy()
                else:
                    waiting.wait(stop)
