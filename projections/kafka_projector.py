"""A view fed from Kafka (SQL store): rows and per-partition offsets in one transaction.

Exactly-once in effect: on (re)assignment each partition resumes after the offset stored with
the rows, whatever Kafka's own committed offsets say (those are kept for lag monitoring only).
Messages at or below the view's watermark are skipped: everything up to it is already applied
(after a replay's swap the watermark is the replayed position, so nothing is applied twice).

The watermark - every event at or below it is in the view - is the relay's position, lowered
to the last applied position of any partition that still has unread messages. It is what
`minPosition` waits for and what `projection_status` reports.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.structs import OffsetAndMetadata

from projections import positions
from projections.applier import TRANSIENT, Applier
from projections.envelope import Envelope
from projections.models import ConsumerOffset
from projections.relay import RELAY
from projections.views.base import View

log = logging.getLogger("slotwise.projector")


def consumer(bootstrap: str, name: str, batch_size: int = 500) -> KafkaConsumer:
    """A consumer in the group of one view in one store (`agenda`, `agenda@elasticsearch`)."""
    group = "slotwise-view-" + name.replace("@", ".")
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=60_000,
        max_poll_records=batch_size,
        fetch_max_wait_ms=100,  # bounds how long a quiet partition holds back a new message
    )


class _Resume(ConsumerRebalanceListener):
    def __init__(self, projector: KafkaProjector) -> None:
        self.projector = projector

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.projector.resume(assigned)


@dataclass
class KafkaProjector:
    view: View
    consumer: KafkaConsumer
    topic: str
    max_attempts: int = 5
    backoff: float = 0.2
    applier: Applier | None = None  # the SQL store unless another is given
    key: str = field(init=False, default="")  # the store's name for positions, offsets, dead letters
    consumed: dict[TopicPartition, int] = field(default_factory=dict)  # last offset applied, per partition

    def __post_init__(self) -> None:
        if self.applier is None:
            self.applier = Applier(self.view, self.max_attempts)
        self.key = self.applier.key
        self.consumer.subscribe([self.topic], listener=_Resume(self))

    def resume(self, assigned: Any) -> None:
        stored = {row.partition: row.offset for row in ConsumerOffset.objects.filter(view=self.key, topic=self.topic)}
        for tp in assigned:
            if tp.partition in stored:
                self.consumer.seek(tp, stored[tp.partition] + 1)
            else:
                self.consumer.seek_to_beginning(tp)

    @property
    def _applier(self) -> Applier:
        if self.applier is None:  # an explicit check: `python -O` strips asserts
            raise RuntimeError(f"the projector of {self.key} has no applier")
        return self.applier

    def step(self, timeout_ms: int = 500) -> int:
        """Applies what one poll brought; returns how many messages it moved past."""
        self._rewind_forgotten()
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        moved = 0
        for tp, records in polled.items():
            moved += self._partition(tp, records)
        self._publish_watermark()
        return moved

    def _rewind_forgotten(self) -> None:
        """Partitions whose stored offsets a replay's swap forgot start over (skipping what the
        new view holds), even if no new message arrives on them."""
        stored = set(ConsumerOffset.objects.filter(view=self.key, topic=self.topic).values_list("partition", flat=True))
        for tp in [tp for tp in self.consumed if tp.partition not in stored]:
            del self.consumed[tp]
            self.consumer.seek_to_beginning(tp)

    def _partition(self, tp: TopicPartition, records: list[Any]) -> int:
        try:
            with transaction.atomic():
                row = (
                    ConsumerOffset.objects.select_for_update()
                    .filter(view=self.key, topic=tp.topic, partition=tp.partition)
                    .first()
                )
                if row is None and tp in self.consumed:
                    # a replay swapped the view in and forgot our offsets: start the partition over
                    del self.consumed[tp]
                    self.consumer.seek_to_beginning(tp)
                    return 0
                floor = positions.current(self.key)  # read after the row lock: never stale
                records = [r for r in records if row is None or r.offset > row.offset]
                if not records:
                    return 0
                events = [Envelope.from_message(json.loads(r.value)) for r in records]
                _, failed = self._applier.apply([e for e in events if e.position > floor])
                done = len(records) if failed is None else events.index(failed)
                if done:
                    ConsumerOffset.objects.update_or_create(
                        view=self.key,
                        topic=tp.topic,
                        partition=tp.partition,
                        defaults={"offset": records[done - 1].offset, "position": events[done - 1].position},
                    )
        except TRANSIENT:
            self.consumer.seek(tp, records[0].offset)
            raise
        if done:
            self.consumed[tp] = records[done - 1].offset
            self.consumer.commit({tp: OffsetAndMetadata(records[done - 1].offset + 1, "", -1)})
        if failed is not None:
            self.consumer.seek(tp, records[done].offset)  # retry the failed one next poll
            time.sleep(self.backoff * 2 ** min(self._applier.failures(failed), 5))
        return done

    def _publish_watermark(self) -> None:
        # The relay's position first, the end offsets after: every message at or below that
        # position is then inside those ends (the relay moves only after the broker acked).
        # The other way round, a message published in between would count as read, and the
        # watermark would pass it: the floor would then skip it for good.
        relayed = positions.current(RELAY)
        partitions = [TopicPartition(self.topic, p) for p in self.consumer.partitions_for_topic(self.topic) or ()]
        if not partitions:
            return  # no metadata yet: nothing can be said about what has been read
        ends = self.consumer.end_offsets(partitions)
        with transaction.atomic():
            current = positions.lock(self.key)  # orders us with a replay's swap
            stored = {row.partition: row for row in ConsumerOffset.objects.filter(view=self.key, topic=self.topic)}
            watermark = relayed
            for tp, end in ends.items():
                row = stored.get(tp.partition)
                if end > (row.offset + 1 if row else 0):  # unread messages remain there
                    watermark = min(watermark, row.position if row else 0)
            if watermark > current:
                positions.reset(self.key, watermark, None)

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step()
            except TRANSIENT as error:
                log.warning("store unavailable; retrying", extra={"view": self.key, "error": repr(error)})
                stop.wait(1.0)
