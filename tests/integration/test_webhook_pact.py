"""The webhook contract, consumer-driven (Pact, asynchronous messages, specification V4).

Consumer: a receiver of our booking webhooks. Its test states what it relies on in each POST
(method, path, headers, body fields per event type, with matchers) and writes the pact file
under tests/pacts/. Provider: our webhook sender. Its test records real events through the app,
lets the real dispatcher record the deliveries and the real delivery code POST them to a
receiver on loopback, then hands exactly what arrived (body, method, path, headers) to the Pact
verifier, which checks it against the pact file. A field dropped or renamed in the public
message, or a header changed, fails verification; the last test shows it does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, Verifier, match

from booking.application import Slotwise
from providers.models import SideEffect
from providers.webhooks.handler import HANDLER
from tests.integration.conftest import Api
from tests.integration.test_webhooks import Receiver, book, record, run, subscribe

CONSUMER, PROVIDER = "booking-webhook-receiver", "slotwise-webhooks"
PACTS = Path(__file__).resolve().parents[1] / "pacts"
PACT_FILE = PACTS / f"{CONSUMER}-{PROVIDER}.json"
PATH = "/hooks/slotwise"

UUID_EXAMPLE = "3f2c8a1e-4b7d-4e1a-9c0f-2d5e6a7b8c9d"
INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
SIGNATURE = r"^t=\d+,v1=[0-9a-f]{64}$"
STATES = {
    "booking.created": "an organisation subscribed to every booking event, and a booking was made",
    "booking.rescheduled": "an organisation subscribed to every booking event, and a booking was moved",
    "booking.cancelled": "an organisation subscribed to every booking event, and a booking was cancelled",
}


def instant(example: str = "2026-02-02T09:00:00+00:00") -> Any:
    return match.regex(example, regex=INSTANT)


def data_of(event_type: str) -> dict[str, Any]:
    """What the receiver reads from `data`, per event type (docs/events.md)."""
    if event_type == "booking.created":
        return {
            "organisationId": match.uuid(UUID_EXAMPLE),
            "hostId": match.uuid(UUID_EXAMPLE),
            "eventTypeId": match.uuid(UUID_EXAMPLE),
            "start": instant(),
            "end": instant("2026-02-02T09:30:00+00:00"),
            "attendee": {
                "name": match.str("Bo"),
                "email": match.regex("bo@example.com", regex=r"^[^@\s]+@[^@\s]+$"),
                "timeZone": match.str("America/New_York"),
            },
            "reservedDates": match.each_like(match.regex("2026-02-02", regex=DATE)),
        }
    if event_type == "booking.rescheduled":
        return {
            "fromStart": instant(),
            "fromEnd": instant("2026-02-02T09:30:00+00:00"),
            "toStart": instant("2026-02-03T10:00:00+00:00"),
            "toEnd": instant("2026-02-03T10:30:00+00:00"),
            "reservedDates": match.each_like(match.regex("2026-02-03", regex=DATE)),
        }
    return {"reason": match.str("no longer needed")}


def receiver_pact() -> Pact:
    """The receiver's expectations: one asynchronous message per event type."""
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    for event_type, state in STATES.items():
        (
            pact.upon_receiving(f"a {event_type} webhook", "Async")
            .given(state)
            .with_body(
                {
                    "eventId": match.uuid(UUID_EXAMPLE),
                    "position": match.int(42, min=1),
                    "aggregateId": match.uuid(UUID_EXAMPLE),
                    "aggregateVersion": match.int(1, min=1),
                    "type": event_type,
                    "occurredAt": instant(),
                    "data": data_of(event_type),
                },
                "application/json",
            )
            .with_metadata(
                {
                    "method": "POST",
                    "path": PATH,
                    "content-type": match.regex("application/json", regex=r"^application/json(;.*)?$"),
                    "x-slotwise-event-id": match.uuid(UUID_EXAMPLE),
                    "x-slotwise-event-type": event_type,
                    "x-slotwise-delivery-attempt": match.regex("1", regex=r"^[1-9]\d*$"),
                    "x-slotwise-signature": match.regex(f"t=1800000000,v1={'ab' * 32}", regex=SIGNATURE),
                }
            )
        )
    return pact


def example_receiver(body: str | bytes | None, metadata: dict[str, object]) -> None:
    """How a receiver handles our POST: dedupe on the event id, route on the type."""
    message = json.loads(body or b"{}")
    assert metadata["method"] == "POST"
    assert metadata["x-slotwise-event-id"] == message["eventId"]
    assert re.match(SIGNATURE, str(metadata["x-slotwise-signature"]))
    assert message["type"] in STATES, "receivers ignore types they do not know; these three they handle"
    assert isinstance(message["data"], dict)


def test_the_receiver_writes_its_contract() -> None:
    pact = receiver_pact()
    pact.verify(example_receiver, "Async")
    pact.write_file(PACTS, overwrite=True)
    written = json.loads(PACT_FILE.read_text())
    assert {i["description"] for i in written["interactions"]} == {f"a {t} webhook" for t in STATES}


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True  # the receiver lives on 127.0.0.1
    made = Receiver()
    server = made.serve()
    yield made
    server.shutdown()
    server.server_close()


@pytest.fixture
def sent(app: Slotwise, api: Api, receiver: Receiver) -> dict[str, dict[str, Any]]:
    """Our real webhooks, one per event type, as the receiver got them: name -> Pact message."""
    subscribe(api, receiver.url(PATH))
    moved, cancelled = book(api, app, count=2)
    app.reschedule_booking(moved, datetime(2026, 1, 7, 9, tzinfo=UTC))
    app.cancel_booking(cancelled, "no longer needed")
    rows = record(app)
    assert [run(row) for row in rows] == ["delivered (200)"] * 4
    assert SideEffect.objects.filter(handler=HANDLER.name, state=SideEffect.DONE).count() == 4
    messages = {}
    for got in receiver.received:
        messages[f"a {got.message['type']} webhook"] = {
            "contents": got.body,
            "metadata": {"method": got.method, "path": got.path, **got.headers},
            "content_type": got.headers["content-type"],
        }
    assert set(messages) == {f"a {t} webhook" for t in STATES}
    return messages


def verifier(messages: dict[str, dict[str, Any]]) -> Verifier:
    """Pact's verifier, fed the messages we produced; the states were set up before."""
    states = {state: (lambda **_: None) for state in STATES.values()}
    return (
        Verifier(PROVIDER)
        .message_handler(messages)  # type: ignore[arg-type]
        .state_handler(states, teardown=False)
        .add_source(PACT_FILE)
    )


def test_our_webhooks_honour_the_receivers_contract(sent: dict[str, dict[str, Any]]) -> None:
    checked = verifier(sent)
    checked.verify()
    assert "There were" not in checked.output(strip_ansi=True)  # no "There were N pact failures"


def test_the_contract_fails_when_our_payload_drifts(sent: dict[str, dict[str, Any]]) -> None:
    # given a created webhook that lost a field the receiver reads, and a renamed signature scheme
    drifted = dict(sent)
    created = drifted["a booking.created webhook"]
    body = json.loads(created["contents"])
    del body["data"]["start"]
    signature = str(created["metadata"]["x-slotwise-signature"]).replace("v1=", "sha256=")
    drifted["a booking.created webhook"] = {
        **created,
        "contents": json.dumps(body).encode(),
        "metadata": {**created["metadata"], "x-slotwise-signature": signature},
    }
    # then verification fails, naming both
    checked = verifier(drifted)
    with pytest.raises(RuntimeError):
        checked.verify()
    report = checked.output(strip_ansi=True)
    assert "$.data" in report and "start" in report and "x-slotwise-signature" in report
