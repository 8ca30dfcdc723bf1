"""Webhooks in one process: the subscription API, what the dispatcher records, and each kind of
answer a real receiver (an HTTP server on loopback) can give a delivery attempt."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking.api_keys import create_api_key
from booking.application import Slotwise
from booking.rest.webhooks import WebhookList, WebhookReply
from projections.sources import LogSource
from providers import secrets
from providers.dispatcher import Dispatcher
from providers.effects import RetryPolicy, perform
from providers.models import SideEffect, WebhookDelivery, WebhookSubscription
from providers.webhooks import answers, delivery
from providers.webhooks.handler import HANDLER
from providers.webhooks.signing import verify
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.server import free_port

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs/schemas/booking-event.v1.json").read_text())
SECRET = "a-receiver-secret-of-some-length"
AT_ONCE = RetryPolicy(base=0.0, cap=0.0, give_up_after=timedelta(hours=24))  # retries due immediately


# --- a real receiver -------------------------------------------------------------------------


@dataclass
class Received:
    at: float  # unix seconds when it arrived
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    answered: int = 0

    @property
    def message(self) -> Any:
        return json.loads(self.body)


Answer = Callable[[Received], tuple[int, dict[str, str]]]


@dataclass
class Receiver:
    """An HTTP server on a free loopback port that logs every request and answers as told."""

    answer: Answer = field(default=lambda _: (200, {}))
    body: bytes = b"ok"  # the body of every answer
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def url(self, path: str = "/hooks/slotwise") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def delivered(self) -> list[Received]:
        return [r for r in list(self.received) if 200 <= r.answered < 300]

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got = Received(time.time(), "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, headers = receiver.answer(got)
                got.answered = status
                receiver.received.append(got)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(receiver.body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handle)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    server = made.serve()
    yield made
    server.shutdown()
    server.server_close()


def in_turn(*statuses: int | tuple[int, dict[str, str]]) -> Answer:
    """Answers these statuses in turn, then 200."""
    queue = list(statuses)

    def answer(_: Received) -> tuple[int, dict[str, str]]:
        if not queue:
            return 200, {}
        item = queue.pop(0)
        return item if isinstance(item, tuple) else (item, {})

    return answer


# --- helpers -------------------------------------------------------------------------------


class RecordOnly(Dispatcher):
    """The real dispatcher's recording, without handing rows to a broker: the test runs them."""

    def publish(self, limit: int = 1000) -> int:
        return 0


def record(app: Slotwise) -> list[SideEffect]:
    RecordOnly(LogSource(app)).step()
    return list(SideEffect.objects.filter(handler=HANDLER.name).order_by("position", "id"))


def book(api: Api, app: Slotwise, count: int = 1) -> list[UUID]:
    event_type = make_event_type(api, make_host(api))
    first = datetime(2026, 1, 6, 8, tzinfo=UTC)
    return [
        app.book_slot(UUID(event_type), first + timedelta(minutes=30 * n), attendee()).subject.id for n in range(count)
    ]


def subscribe(api: Api, url: str, events: list[str] | None = None, secret: str | None = SECRET) -> str:
    body: dict[str, Any] = {"url": url, "events": events or ["*"]}
    if secret is not None:
        body["secret"] = secret
    made = api.post("/webhooks", body)
    assert made.status == 201, made.body
    return str(made.data["id"])


def run(effect: SideEffect, policy: RetryPolicy = AT_ONCE) -> str:
    return perform(effect.id, policy, delivery.run)


def state(effect: SideEffect) -> SideEffect:
    return SideEffect.objects.get(id=effect.id)


@pytest.fixture(autouse=True)
def loopback_allowed(settings: Any) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True  # the receiver lives on 127.0.0.1


# --- the API -------------------------------------------------------------------------------


def test_a_subscription_without_a_secret_gets_one_generated_and_shown_once(api: Api) -> None:
    made = api.post("/webhooks", {"url": "https://hooks.example.com/slotwise", "events": ["booking.created"]})
    assert made.status == 201, made.body
    secret = made.data["secret"]
    assert secret.startswith("whsec_") and len(secret) >= 40
    listed = api.get("/webhooks")
    assert listed.status == 200
    assert listed.data == [{k: v for k, v in made.data.items() if k != "secret"}]
    assert listed.data[0]["active"] is True and listed.data[0]["events"] == ["booking.created"]
    # kept encrypted at rest
    stored = WebhookSubscription.objects.get(id=made.data["id"])
    assert secret not in stored.secret and secrets.unseal(stored.secret) == {"secret": secret}


def test_replies_hold_their_documented_shapes(api: Api, public: Api) -> None:
    made = api.post("/webhooks", {"url": "https://hooks.example.com/slotwise", "events": ["*"]})
    WebhookReply.model_validate(made.body, by_alias=True, by_name=False)
    WebhookList.model_validate(api.get("/webhooks").body, by_alias=True, by_name=False)
    paths = public.get("/openapi.json").body["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) == {"delete"}
    assert "application/problem+json" in paths["/api/v1/webhooks"]["post"]["responses"]["422"]["content"]


def test_a_given_secret_is_kept_encrypted_and_never_shown(api: Api) -> None:
    made = api.post(
        "/webhooks", {"url": "https://hooks.example.com/x", "events": ["*", "booking.created"], "secret": SECRET}
    )
    assert made.status == 201 and "secret" not in made.data
    assert made.data["events"] == ["*"]
    stored = WebhookSubscription.objects.get(id=made.data["id"])
    assert SECRET not in stored.secret and secrets.unseal(stored.secret) == {"secret": SECRET}
    assert SECRET not in json.dumps(api.get("/webhooks").body)


GOOD = {"url": "https://hooks.example.com/slotwise", "events": ["booking.created"], "secret": SECRET}
BAD: list[tuple[str, dict[str, Any], str]] = [
    ("ftp scheme", {**GOOD, "url": "ftp://hooks.example.com/x"}, "url"),
    ("not a URL", {**GOOD, "url": "hooks at example dot com"}, "url"),
    ("no host", {**GOOD, "url": "https:///path"}, "url"),
    ("credentials in the URL", {**GOOD, "url": "https://user:pw@hooks.example.com/x"}, "url"),
    ("loopback", {**GOOD, "url": "http://127.0.0.1:8000/x"}, "url"),
    ("cloud metadata", {**GOOD, "url": "http://169.254.169.254/latest/meta-data"}, "url"),
    ("private network", {**GOOD, "url": "http://10.1.2.3/x"}, "url"),
    ("IPv6 loopback", {**GOOD, "url": "http://[::1]/x"}, "url"),
    ("localhost", {**GOOD, "url": "http://localhost:8080/x"}, "url"),
    ("bad port", {**GOOD, "url": "https://hooks.example.com:99999/x"}, "url"),
    ("URL too long", {**GOOD, "url": "https://hooks.example.com/" + "x" * 2000}, "url"),
    ("URL not a string", {**GOOD, "url": 42}, "url"),
    ("URL missing", {k: v for k, v in GOOD.items() if k != "url"}, "url"),
    ("no events", {**GOOD, "events": []}, "events"),
    ("unknown event", {**GOOD, "events": ["booking.deleted"]}, "events[0]"),
    ("internal event", {**GOOD, "events": ["booking.created", "idempotency_record.recorded"]}, "events[1]"),
    ("events not a list", {**GOOD, "events": "booking.created"}, "events"),
    ("event not a string", {**GOOD, "events": [1]}, "events[0]"),
    ("events missing", {k: v for k, v in GOOD.items() if k != "events"}, "events"),
    ("short secret", {**GOOD, "secret": "too-short"}, "secret"),
    ("padded secret", {**GOOD, "secret": f" {SECRET} "}, "secret"),
    ("secret not a string", {**GOOD, "secret": 12345678901234567890}, "secret"),
    ("unknown field", {**GOOD, "colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("case", "body", "field_name"), BAD, ids=[case for case, _, _ in BAD])
def test_a_bad_subscription_is_refused_naming_the_field_and_stores_nothing(
    api: Api, settings: Any, case: str, body: dict[str, Any], field_name: str
) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = False  # production's rule
    refused = api.post("/webhooks", body)
    assert refused.status == 422, (case, refused.body)
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.code == "validation_error"
    assert field_name in [e["field"] for e in refused.body["errors"]], refused.body
    assert not WebhookSubscription.objects.exists()


def test_malformed_json_and_a_missing_key_are_refused_and_store_nothing(api: Api, public: Api) -> None:
    assert api.post("/webhooks", raw="{not json").status == 400
    assert public.post("/webhooks", GOOD).status == 401
    assert public.get("/webhooks").status == 401
    assert not WebhookSubscription.objects.exists()


def test_deleting_deactivates_and_another_organisations_webhook_is_not_found(api: Api) -> None:
    mine = subscribe(api, "https://hooks.example.com/a")
    other = Api(create_api_key("other-org"))
    # another organisation neither sees nor deletes it
    assert other.get("/webhooks").data == []
    refused = other.call("DELETE", f"/webhooks/{mine}")
    assert refused.status == 404 and refused.headers["Content-Type"] == "application/problem+json"
    assert WebhookSubscription.objects.get(id=mine).active
    # its owner deactivates it; it stays listed as inactive and a second delete finds nothing
    assert api.call("DELETE", f"/webhooks/{mine}").status == 204
    listed = api.get("/webhooks").data
    assert [(w["id"], w["active"]) for w in listed] == [(mine, False)] and listed[0]["deactivatedAt"]
    assert api.call("DELETE", f"/webhooks/{mine}").status == 404
    assert api.call("DELETE", "/webhooks/not-a-uuid").status == 404


# --- what the dispatcher records ------------------------------------------------------------


def test_only_the_organisations_active_interested_subscriptions_get_deliveries(api: Api, app: Slotwise) -> None:
    everything = subscribe(api, "https://a.example.com/h")
    cancellations = subscribe(api, "https://b.example.com/h", ["booking.cancelled"])
    deleted = subscribe(api, "https://c.example.com/h")
    api.call("DELETE", f"/webhooks/{deleted}")
    subscribe(Api(create_api_key("other-org")), "https://d.example.com/h")
    (uid,) = book(api, app)
    late = subscribe(api, "https://e.example.com/h")  # made after the booking: no backfill
    app.reschedule_booking(uid, datetime(2026, 1, 6, 10, tzinfo=UTC))
    app.cancel_booking(uid, "changed plans")
    rows = record(app)
    by_target: dict[str, list[str]] = {}
    for row in rows:
        assert row.aggregate_id == uid
        by_target.setdefault(row.target, []).append(delivery.message_at(row.position)["type"])
    assert by_target == {
        everything: ["booking.created", "booking.rescheduled", "booking.cancelled"],
        cancellations: ["booking.cancelled"],
        late: ["booking.rescheduled", "booking.cancelled"],
    }
    assert len({r.key for r in rows}) == len(rows) == 6
    assert record(app) == rows  # reading the events again records nothing twice


# --- delivery attempts ---------------------------------------------------------------------


def test_a_delivery_posts_the_public_message_signed(api: Api, app: Slotwise, receiver: Receiver) -> None:
    subscription = subscribe(api, receiver.url())
    book(api, app)
    (row,) = record(app)
    assert run(row) == "delivered (200)"
    assert state(row).state == SideEffect.DONE
    (got,) = receiver.received
    message = got.message
    # the Kafka message schema, the event's stable id and type, in the body and the headers
    jsonschema.validate(message, SCHEMA)
    assert message["eventId"] == str(row.event_id) == got.headers["x-slotwise-event-id"]
    assert message["type"] == "booking.created" == got.headers["x-slotwise-event-type"]
    assert message["aggregateId"] == str(row.aggregate_id) and message["position"] == row.position
    assert message["data"]["attendee"]["email"] == attendee()["email"]
    assert (got.method, got.path, got.headers["content-type"]) == ("POST", "/hooks/slotwise", "application/json")
    assert got.headers["x-slotwise-delivery-attempt"] == "1"
    assert verify(SECRET, got.headers["x-slotwise-signature"], got.body, now=got.at)
    assert not verify("another-secret-entirely", got.headers["x-slotwise-signature"], got.body, now=got.at)
    (logged,) = WebhookDelivery.objects.all()
    assert (str(logged.subscription_id), logged.event_id, logged.attempt, logged.status_code, logged.error) == (
        subscription,
        row.event_id,
        1,
        200,
        "",
    )


def test_every_non_2xx_answer_is_retried_and_logged_until_delivered(
    api: Api, app: Slotwise, receiver: Receiver
) -> None:
    receiver.answer = in_turn(503, 500, 404, 401, (302, {"Location": receiver.url("/elsewhere")}))
    subscribe(api, receiver.url())
    book(api, app)
    (row,) = record(app)
    for attempt in range(1, 6):
        assert run(row) == "retry scheduled"
        assert (state(row).state, state(row).attempts) == (SideEffect.PENDING, attempt)
    assert run(row) == "delivered (200)"
    assert state(row).state == SideEffect.DONE
    # each attempt numbered and signed afresh; the redirect was never followed
    assert [r.headers["x-slotwise-delivery-attempt"] for r in receiver.received] == ["1", "2", "3", "4", "5", "6"]
    assert all(verify(SECRET, r.headers["x-slotwise-signature"], r.body, now=r.at) for r in receiver.received)
    assert {r.path for r in receiver.received} == {"/hooks/slotwise"}
    assert {r.headers["x-slotwise-event-id"] for r in receiver.received} == {str(row.event_id)}
    logged = WebhookDelivery.objects.order_by("attempt")
    assert [(d.attempt, d.status_code) for d in logged] == [(1, 503), (2, 500), (3, 404), (4, 401), (5, 302), (6, 200)]
    assert logged[0].error.startswith("HTTP 503")


def test_an_answer_with_nul_and_control_characters_is_logged_cleaned_and_retried_by_the_policy(
    api: Api, app: Slotwise, receiver: Receiver
) -> None:
    # PostgreSQL refuses NUL in text: the log line failed to write, and the delivery died as an
    # unexpected error after 3 attempts, its status lost, instead of being retried for the day
    receiver.answer = in_turn(500, 500, 500, 500)
    receiver.body = b"a\x00b\x01\x1b[2J\r\n\tc\x7f\xff"
    subscribe(api, receiver.url())
    book(api, app)
    (row,) = record(app)
    for attempt in range(1, 5):  # past the attempts an unexpected error is allowed
        assert run(row) == "retry scheduled"
        assert (state(row).state, state(row).attempts) == (SideEffect.PENDING, attempt)
        assert "500 from the receiver" in state(row).last_error
    assert run(row) == "delivered (200)"
    logged = WebhookDelivery.objects.order_by("attempt")
    assert [(d.attempt, d.status_code) for d in logged] == [(1, 500), (2, 500), (3, 500), (4, 500), (5, 200)]
    assert {d.error for d in logged[:4]} == {"HTTP 500: a\ufffdb\ufffd\ufffd[2J\ufffd\n\tc\ufffd\ufffd"}


def test_retry_after_is_honoured_and_capped(api: Api, app: Slotwise, receiver: Receiver, settings: Any) -> None:
    receiver.answer = in_turn((429, {"Retry-After": "120"}), (503, {"Retry-After": "99999"}))
    subscribe(api, receiver.url())
    book(api, app)
    (row,) = record(app)
    quick = RetryPolicy(base=0.001, cap=0.001, give_up_after=timedelta(hours=24))
    before = timezone.now()
    assert run(row, quick) == "retry scheduled"
    assert state(row).not_before >= before + timedelta(seconds=119)
    SideEffect.objects.filter(id=row.id).update(not_before=None)  # as if the two minutes had passed
    before = timezone.now()
    assert run(row, quick) == "retry scheduled"
    assert state(row).not_before <= before + timedelta(seconds=settings.SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS + 1)
    # the HTTP-date form too
    in_90 = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 80 <= (answers.retry_after(in_90) or 0) <= 91
    assert answers.retry_after("soon") is None


def test_410_gone_unsubscribes_and_dead_letters_that_delivery(api: Api, app: Slotwise, receiver: Receiver) -> None:
    receiver.answer = in_turn(410)
    subscription = subscribe(api, receiver.url())
    (uid,) = book(api, app)
    app.cancel_booking(uid, "gone")
    created, cancelled = record(app)
    assert run(created) == "failed"
    assert state(created).state == SideEffect.FAILED and "410" in state(created).last_error
    gone = WebhookSubscription.objects.get(id=subscription)
    assert not gone.active and "410" in gone.deactivation_reason
    # nothing more is sent to it
    assert run(cancelled) == "subscription inactive"
    assert state(cancelled).state == SideEffect.DONE and len(receiver.received) == 1


def test_a_slow_or_absent_receiver_is_retried(api: Api, app: Slotwise, receiver: Receiver, settings: Any) -> None:
    settings.SLOTWISE_WEBHOOK_TIMEOUT_SECONDS = 0.3

    def slow(_: Received) -> tuple[int, dict[str, str]]:
        time.sleep(1.0)
        return 200, {}

    receiver.answer = slow
    subscribe(api, receiver.url())
    subscribe(api, f"http://127.0.0.1:{free_port()}/nobody-listens")
    book(api, app)
    rows = record(app)
    assert [run(row) for row in rows] == ["retry scheduled", "retry scheduled"]
    logged = WebhookDelivery.objects.order_by("id")
    assert [d.status_code for d in logged] == [None, None]
    assert "Timeout" in logged[0].error and "ConnectionError" in logged[1].error
    assert all(state(row).not_before is not None for row in rows)


def test_a_receiver_on_a_private_address_is_refused_at_delivery(
    api: Api, app: Slotwise, receiver: Receiver, settings: Any
) -> None:
    subscribe(api, receiver.url())  # allowed when made (development)
    book(api, app)
    (row,) = record(app)
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = False  # production
    assert run(row) == "failed"
    assert receiver.received == [] and "non-public" in state(row).last_error


def test_a_delivery_failing_past_the_window_is_dead_lettered(api: Api, app: Slotwise, receiver: Receiver) -> None:
    receiver.answer = lambda _: (503, {})
    subscribe(api, receiver.url())
    book(api, app)
    (row,) = record(app)
    assert run(row, HANDLER.policy) == "retry scheduled"  # within the day: tried again later
    # a day after the event was recorded, the next failure is the last
    SideEffect.objects.filter(id=row.id).update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1), not_before=None
    )
    assert run(row, HANDLER.policy) == "failed"
    dead = state(row)
    assert (dead.state, dead.attempts) == (SideEffect.FAILED, 2) and "503" in dead.last_error
    assert [d.status_code for d in WebhookDelivery.objects.order_by("id")] == [503, 503]


def test_redelivery_resets_only_the_chosen_dead_letters(api: Api, app: Slotwise, receiver: Receiver) -> None:
    receiver.answer = lambda _: (503, {})
    subscribe(api, receiver.url())
    dropped = subscribe(api, receiver.url("/old"))
    book(api, app, count=2)
    rows = record(app)
    never = RetryPolicy(base=0.0, cap=0.0, max_attempts=1)
    assert [run(row, never) for row in rows] == ["failed"] * 4
    api.call("DELETE", f"/webhooks/{dropped}")
    live = [r for r in rows if r.target != dropped]
    out = _command("--dry-run")
    assert "would reset 2 " in out and "skipped 2 " in out
    assert SideEffect.objects.filter(state=SideEffect.FAILED).count() == 4
    # one event only, then the rest
    assert "reset 1 " in _command("--event", str(live[0].event_id))
    assert "reset 1 " in _command(
        "--since", (timezone.now() - timedelta(hours=1)).isoformat(), "--subscription", live[1].target
    )
    for row in live:
        again = state(row)
        assert (again.state, again.attempts, again.not_before, again.enqueued_at) == (SideEffect.PENDING, 0, None, None)
    # sent again under the same event ids
    receiver.answer = in_turn()
    assert [run(row) for row in live] == ["delivered (200)"] * 2
    assert [r.headers["x-slotwise-event-id"] for r in receiver.delivered] == [str(r.event_id) for r in live]
    assert [r.headers["x-slotwise-delivery-attempt"] for r in receiver.delivered] == ["2", "2"]
    assert "reset 0 " in _command()
    with pytest.raises(CommandError):
        _command("--since", "2026-11-27T09:00:00")
    with pytest.raises(CommandError):
        _command("--event", "nope")


def _command(*args: str) -> str:
    out = StringIO()
    call_command("webhooks_redeliver", *args, stdout=out)
    return out.getvalue()
