"""Webhook drills with real processes: the dispatcher and a Celery worker on the real Redis broker,
sending to a real receiver (an HTTP server on loopback) that is down for a while, or for too long."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any
from uuid import UUID

import pytest
from django.core.management import call_command

from booking.application import Slotwise
from booking.public_events import event_id
from providers.models import SideEffect, WebhookDelivery
from providers.webhooks.handler import HANDLER
from providers.webhooks.signing import verify
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.side_effects_support import broker_env, dispatcher, running, wait_until, worker
from tests.integration.test_webhooks import Received, Receiver

SECRET = "drill-secret-0123456789abcdef"


class Switch:
    """The receiver's health: 503 with Retry-After while down, 200 once up."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.down.set()

    def __call__(self, _: Received) -> tuple[int, dict[str, str]]:
        return (503, {"Retry-After": "1"}) if self.down.is_set() else (200, {})


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True  # for subscribing to the loopback receiver
    made = Receiver()
    server = made.serve()
    yield made
    server.shutdown()
    server.server_close()


def _env(**retry: str) -> dict[str, str]:
    return broker_env(SLOTWISE_ALLOW_PRIVATE_URLS="1", SLOTWISE_WEBHOOK_TIMEOUT_SECONDS="2", **retry)


def _book(api: Api, app: Slotwise, count: int, first: datetime) -> list[UUID]:
    event_type = make_event_type(api, make_host(api), slug=f"drill-{first:%H%M}")
    return [
        app.book_slot(UUID(event_type), first + timedelta(minutes=30 * n), attendee()).subject.id for n in range(count)
    ]


def _event_ids(app: Slotwise, uids: list[UUID]) -> set[str]:
    """Every event these bookings recorded, by the id the receiver dedupes on."""
    return {str(event_id(uid, e.originator_version)) for uid in uids for e in app.booking_history(uid)}


def _rows(state: str | None = None) -> int:
    rows = SideEffect.objects.filter(handler=HANDLER.name)
    return (rows.filter(state=state) if state else rows).count()


def _refusals() -> int:
    return WebhookDelivery.objects.filter(status_code=503).values("event_id").distinct().count()


def _assert_delivered_once_and_signed(receiver: Receiver, expected: set[str]) -> None:
    delivered = receiver.delivered
    counts = Counter(r.headers["x-slotwise-event-id"] for r in delivered)
    assert set(counts) == expected
    assert set(counts.values()) == {1}, "an event was delivered twice"
    for got in delivered:
        assert verify(SECRET, got.headers["x-slotwise-signature"], got.body, now=got.at)
        assert got.message["eventId"] == got.headers["x-slotwise-event-id"]


def test_a_receiver_down_for_a_while_gets_every_event_later_signed_and_once(
    app: Slotwise, api: Api, receiver: Receiver
) -> None:
    receiver.answer = health = Switch()
    made = api.post("/webhooks", {"url": receiver.url(), "events": ["*"], "secret": SECRET})
    assert made.status == 201, made.body
    uids = _book(api, app, 8, datetime(2026, 1, 6, 8, tzinfo=UTC))
    for uid in uids[:3]:
        app.reschedule_booking(uid, datetime(2026, 1, 7, 8, tzinfo=UTC) + timedelta(minutes=30 * uids.index(uid)))
    for uid in uids[3:5]:
        app.cancel_booking(uid, "drill")
    env = _env(
        SLOTWISE_WEBHOOK_RETRY_BASE_SECONDS="0.2",
        SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS="1",
        SLOTWISE_WEBHOOK_RETRY_WINDOW_SECONDS="300",
    )
    with running(worker(env), dispatcher(env)):
        wait_until(lambda: _refusals() >= 13, 60, "every event refused at least once")
        uids += _book(api, app, 3, datetime(2026, 1, 8, 8, tzinfo=UTC))  # booked while the receiver is down
        wait_until(lambda: _refusals() >= 16, 60, "the later bookings refused too")
        assert _rows(SideEffect.DONE) == 0
        health.down.clear()
        wait_until(lambda: _rows(SideEffect.DONE) == 16, 90, "every delivery after the receiver came back")
    expected = _event_ids(app, uids)
    assert len(expected) == 16
    _assert_delivered_once_and_signed(receiver, expected)
    assert _rows() == _rows(SideEffect.DONE) == 16
    assert all(int(r.headers["x-slotwise-delivery-attempt"]) >= 2 for r in receiver.delivered)
    assert [r for r in receiver.received if r.answered == 503], "the receiver was never down"


def test_deliveries_past_the_window_are_dead_lettered_and_redelivered_by_ops(
    app: Slotwise, api: Api, receiver: Receiver
) -> None:
    receiver.answer = health = Switch()
    made = api.post("/webhooks", {"url": receiver.url(), "events": ["booking.created"], "secret": SECRET})
    assert made.status == 201, made.body
    uids = _book(api, app, 3, datetime(2026, 1, 6, 8, tzinfo=UTC))
    env = _env(
        SLOTWISE_WEBHOOK_RETRY_BASE_SECONDS="0.1",
        SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS="0.3",
        SLOTWISE_WEBHOOK_RETRY_WINDOW_SECONDS="2",
    )
    with running(worker(env), dispatcher(env)):
        wait_until(lambda: _rows(SideEffect.FAILED) == 3, 60, "the window to close on every delivery")
        dead = SideEffect.objects.filter(handler=HANDLER.name)
        assert all("503" in row.last_error for row in dead)
        assert receiver.delivered == []
        # the receiver is fixed; ops redeliver what was dead-lettered
        health.down.clear()
        out = StringIO()
        call_command("webhooks_redeliver", stdout=out)
        assert "reset 3 dead-lettered" in out.getvalue()
        wait_until(lambda: _rows(SideEffect.DONE) == 3, 60, "the redelivered deliveries")
    expected = _event_ids(app, uids)
    assert {str(row.event_id) for row in dead} == expected
    _assert_delivered_once_and_signed(receiver, expected)
