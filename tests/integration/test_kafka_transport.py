"""The production transport: relay -> Kafka (a real Kafka-protocol broker) -> projectors.

Live (through Kafka) equals replay; every message twice changes nothing; the relay and a
projector killed with SIGKILL mid-stream lose nothing and apply nothing twice; a broker that
is down at first delays the views but loses nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings

from booking.application import Slotwise
from projections import positions
from projections.applier import Applier
from projections.elastic.applier import EsApplier
from projections.elastic.replay import replay_es
from projections.kafka_projector import KafkaProjector, consumer
from projections.models import AgendaEntry
from projections.relay import RELAY, Relay, ensure_topic, producer
from projections.replay import replay
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.kafka_broker import tansu
from tests.integration.server import ROOT, django_env, free_port
from tests.integration.views_support import ATTENDEE, Scene, commands, documents, snapshots


@pytest.fixture
def kafka() -> Iterator[str]:
    with tansu() as bootstrap:
        yield bootstrap


@pytest.fixture
def topic(kafka: str) -> str:
    name = f"slotwise.booking-events.v1.{uuid4().hex[:8]}"
    ensure_topic(kafka, name, 3)
    return name


def _until(condition: Callable[[], bool], timeout: float = 90, tick: Callable[[], object] | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick is not None:
            tick()
        else:
            time.sleep(0.02)
    return False


class Pipeline:
    """The relay, stepped by hand, and one consumer per view, each polling in its own thread as
    it would in its own process."""

    def __init__(self, app: Slotwise, kafka: str, topic: str, es: Any = None) -> None:
        self.app = app
        self.es = es
        stores = [None, es] if es is not None else [None]  # SQL always; Elasticsearch too when given
        self.appliers = [
            EsApplier(view=view, es=store) if store is not None else Applier(view)
            for store in stores
            for view in VIEWS.values()
        ]
        self.keys = [applier.key for applier in self.appliers]
        self.relay = Relay(app, producer(kafka), topic, batch_size=7)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._consume, args=(a, kafka, topic)) for a in self.appliers]
        for thread in self.threads:
            thread.start()

    def _consume(self, applier: Applier, kafka: str, topic: str) -> None:
        kafka_consumer = consumer(kafka, applier.key)
        try:
            KafkaProjector(applier.view, kafka_consumer, topic, applier=applier).run_forever(self.stop)
        except BaseException as error:  # reported by settle()
            self.errors.append(error)
        finally:
            kafka_consumer.close()
            connection.close()

    def flow(self, pages: int) -> None:
        for _ in range(pages):
            self.relay.step()

    def settle(self) -> None:
        head = self.app.recorder.max_notification_id() or 0
        assert _until(lambda: positions.current(RELAY) >= head, tick=self.relay.step)
        assert _until(lambda: all(positions.current(key) >= head for key in self.keys) or bool(self.errors))
        assert self.errors == []

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        self.relay.producer.close(timeout=5)


@pytest.fixture
def pipeline(app: Slotwise, kafka: str, topic: str, es: Any) -> Iterator[Pipeline]:
    made = Pipeline(app, kafka, topic, es=es)
    yield made
    made.close()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=commands)
def test_views_built_through_kafka_equal_replayed_views_in_both_stores(
    app: Slotwise, pipeline: Pipeline, es: Any, steps: list[tuple[str, int, int]]
) -> None:
    Scene(app).play(steps, pipeline.flow)
    pipeline.settle()
    live, live_documents = snapshots(), documents(es)
    for view in VIEWS.values():  # each also forgets its consumers' offsets: the next example starts them over
        replay(view, LogSource(app))
        replay_es(view, LogSource(app), es)
    assert snapshots() == live
    assert documents(es) == live_documents


def test_views_built_through_kafka_into_elasticsearch_equal_replayed_ones(
    app: Slotwise, kafka: str, topic: str, es: Any
) -> None:
    pipeline = Pipeline(app, kafka, topic, es=es)
    try:
        scene = Scene(app)
        scene.play([("book", n % 2, n * 3) for n in range(15)] + [("flow", 3, 0)], pipeline.flow)
        scene.play([("move", 2, 70), ("cancel", 4, 0), ("retitle", 1, 5), ("book", 0, 90)], pipeline.flow)
        pipeline.settle()
        pipeline.settle()
    finally:
        pipeline.close()
    live = documents(es)
    assert len([d for d in live if d[0].startswith("booking:")]) == 16
    for view in VIEWS.values():
        replay_es(view, LogSource(app), es)
    assert documents(es) == live


def test_every_message_twice_changes_nothing(app: Slotwise, pipeline: Pipeline) -> None:
    scene = Scene(app)
    made = [app.book_slot(scene.event_types[n % 2], scene.start(n), ATTENDEE).subject.id for n in range(12)]
    app.reschedule_booking(made[0], scene.start(40))
    app.cancel_booking(made[1], "x")
    app.update_event_type(scene.org, scene.event_types[1], {"title": "Renamed"})
    pipeline.settle()
    once = snapshots()
    positions.reset(RELAY, 0, None)  # the relay forgets its position: every message is published again
    pipeline.settle()
    time.sleep(2)  # let the consumers take in every duplicate
    assert pipeline.errors == []
    assert snapshots() == once
    assert AgendaEntry.objects.count() == 12


def _command(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_relay_and_projector_killed_mid_stream_lose_nothing_and_double_nothing(
    app: Slotwise, kafka: str, topic: str
) -> None:
    scene = Scene(app)
    uids = [app.book_slot(scene.event_types[0], scene.start(n), ATTENDEE).subject.id for n in range(300)]
    for uid in uids[::4]:
        app.cancel_booking(uid, "x")
    head = app.recorder.max_notification_id() or 0
    env = {
        **django_env(),
        "SLOTWISE_KAFKA_BOOTSTRAP": kafka,
        "SLOTWISE_KAFKA_TOPIC": topic,
        "SLOTWISE_LOG_LEVEL": "WARNING",
    }
    leader = _command("relay_events", "--batch-size", "3", env=env)
    assert _until(lambda: positions.current(RELAY) > 0, timeout=30), "the relay never published"
    standby = _command("relay_events", "--batch-size", "3", env=env)  # waits for the lock
    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(10)
    relay_at_kill = positions.current(RELAY)
    projector = _command("run_projector", "agenda", "--source", "kafka", "--batch-size", "20", env=env)
    try:
        assert 0 < relay_at_kill < head, f"relay killed at {relay_at_kill} of {head}: not mid-stream"
        assert _until(lambda: AgendaEntry.objects.count() > 0, timeout=60), "the projector never applied anything"
        os.kill(projector.pid, signal.SIGKILL)
        projector.wait(10)
        assert AgendaEntry.objects.count() < 300, "the projector finished before it could be killed"
        projector = _command("run_projector", "agenda", "--source", "kafka", env=env)
        assert _until(lambda: positions.current(RELAY) >= head, timeout=60), "the standby relay did not take over"
        assert _until(lambda: positions.current("agenda") >= head, timeout=90), "the agenda did not catch up"
    finally:
        for proc in (standby, projector):
            proc.terminate()
            proc.wait(20)
    assert AgendaEntry.objects.count() == 300
    assert AgendaEntry.objects.filter(status="cancelled").count() == len(uids[::4])
    live = snapshots()["agenda"]
    replay(VIEWS["agenda"], LogSource(app))
    assert snapshots()["agenda"] == live


def test_a_broker_that_is_down_delays_the_views_and_loses_nothing(app: Slotwise) -> None:
    port = free_port()
    scene = Scene(app)
    for n in range(10):
        app.book_slot(scene.event_types[0], scene.start(n), ATTENDEE)
    env = {
        **django_env(),
        "SLOTWISE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "SLOTWISE_LOG_LEVEL": "WARNING",
        "SLOTWISE_KAFKA_TOPIC": "slotwise.booking-events.v1",
    }
    relay = _command("relay_events", env=env)
    try:
        time.sleep(3)  # the relay keeps retrying: nothing to publish to
        assert positions.current(RELAY) == 0
        with tansu(port):
            head = app.recorder.max_notification_id() or 0
            assert _until(lambda: positions.current(RELAY) >= head, timeout=60), "nothing relayed after recovery"
            projector = _command("run_projector", "agenda", "--source", "kafka", env=env)
            try:
                assert _until(lambda: AgendaEntry.objects.count() == 10, timeout=60)
            finally:
                projector.terminate()
                projector.wait(20)
    finally:
        relay.terminate()
        relay.wait(20)
