"""A user's URL never makes us call into our own network: CalDAV calendars (when connecting, on
/slots, when syncing) and webhook receivers reach public addresses only, checked on the address
the connection is made to. A trap listening on loopback shows that nothing reached it; a server
answering with a secret shows that a refusal is told in our words, never in the server's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from booking.application import Slotwise
from projections.sources import LogSource
from providers import tasks
from providers.dispatcher import Dispatcher
from providers.models import CalendarAccount, SideEffect, WebhookDelivery, WebhookSubscription
from providers.secrets import seal
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.hostile_servers import (
    SECRET,
    LoopbackName,
    Scripted,
    Trap,
    loopback_name,
    scripted_server,
    unix_trap,
)

DAY = "2026-01-07"
PUBLIC_HOST = "must name a public host, not a loopback, private or link-local address"


class RecordOnly(Dispatcher):
    """The dispatcher's recording half: the test runs each task itself."""

    def publish(self, limit: int = 1000) -> int:
        return 0


@pytest.fixture
def production(settings: Any) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def trap() -> Iterator[Trap]:
    with Trap() as listening:
        yield listening


@pytest.fixture
def loopback() -> Iterator[LoopbackName]:
    """A name that resolves to 127.0.0.1 for our connections, whatever this machine's name does."""
    with loopback_name() as name:
        yield name


def test_the_loopback_name_reaches_a_loopback_listener_when_private_addresses_are_allowed(
    api: Api, trap: Trap, loopback: LoopbackName
) -> None:
    # given (as in development) private addresses allowed: the name leads to the listener, so the
    # tests below, refused without a connection, are refused for the address the name resolves to
    refused = _connect(api, make_host(api), f"http://{loopback.name}:{trap.port}/ada/work/")
    assert refused.status == 422, refused.body
    assert trap.connections >= 1 and loopback.name in loopback.asked


def _connect(api: Api, host: str, url: str) -> Any:
    return api.post(f"/hosts/{host}/calendars", {"provider": "caldav", "url": url, "username": "ada", "password": "pw"})


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "localhost",
    "localhost.",
]


@pytest.mark.parametrize("spelling", [*LOOPBACK_SPELLINGS, "a name resolving to loopback"])
def test_connecting_a_calendar_on_loopback_is_refused_and_nothing_is_called(
    api: Api, production: None, trap: Trap, loopback: LoopbackName, spelling: str
) -> None:
    # given a listener on loopback, and a URL naming it in one of the ways the OS resolver reads
    host_name = loopback.name if spelling == "a name resolving to loopback" else spelling
    # when a host connects it as a calendar
    refused = _connect(api, make_host(api), f"http://{host_name}:{trap.port}/ada/work/")
    # then it is refused naming the url, in our words, and no connection reached the listener
    assert (refused.status, refused.code) == (422, "validation_error"), refused.body
    assert refused.body["errors"][0]["field"] == "url"
    assert PUBLIC_HOST in refused.body["errors"][0]["message"]
    assert trap.connections == 0
    assert not CalendarAccount.objects.exists()


def _stored_account(api: Api, url: str) -> tuple[str, CalendarAccount]:
    """A host with an event type, and a CalDAV account kept before the address rule existed."""
    host = make_host(api)
    event_type = make_event_type(api, host)
    account = CalendarAccount.objects.create(
        organisation_id=UUID(int=0),
        host_id=host,
        provider="caldav",
        url=url,
        username="ada",
        secret=seal({"password": "pw"}),
    )
    return event_type, account


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "a name resolving to loopback"])
def test_slots_never_call_a_calendar_stored_on_loopback(
    api: Api, public: Api, production: None, trap: Trap, loopback: LoopbackName, spelling: str
) -> None:
    # given an account stored before the rule, pointing at a listener on loopback
    host_name = loopback.name if spelling == "a name resolving to loopback" else spelling
    event_type, account = _stored_account(api, f"http://{host_name}:{trap.port}/ada/work/")
    # when anyone asks for slots
    reply = public.get(f"/slots?eventTypeId={event_type}&start={DAY}&end={DAY}&timeZone=UTC")
    # then the slots come, the calendar is shown unavailable, and the listener saw nothing
    assert reply.status == 200, reply.body
    assert reply.body["meta"]["providers"] == [
        {"calendarId": str(account.id), "provider": "caldav", "status": "unavailable", "asOf": None}
    ]
    assert len(reply.data[DAY]) == 16
    assert trap.connections == 0
    # (a name was refused for what it resolved to, not for failing to resolve)
    assert host_name != loopback.name or loopback.name in loopback.asked


def test_syncing_a_booking_to_a_calendar_stored_on_loopback_fails_without_calling_it(
    api: Api, app: Slotwise, production: None, trap: Trap, loopback: LoopbackName
) -> None:
    # given an account stored before the rule, on a name that resolves to loopback, and a booking
    event_type, _ = _stored_account(api, f"http://{loopback.name}:{trap.port}/ada/work/")
    app.book_slot(UUID(event_type), datetime(2026, 1, 7, 9, tzinfo=UTC), attendee())
    RecordOnly(LogSource(app)).step()
    (row,) = SideEffect.objects.filter(handler="calendar.sync")
    # when the worker syncs it
    assert tasks.sync_booking_to_calendar(row.id) == "failed"
    # then the row is dead-lettered with the reason (no retry would change it) and nothing was called
    row.refresh_from_db()
    assert row.state == SideEffect.FAILED and row.attempts == 1 and "non-public" in row.last_error
    assert trap.connections == 0


def test_a_calendar_redirecting_to_a_unix_socket_is_not_followed(api: Api, tmp_path: Path) -> None:
    # given (loopback allowed, as in development) a server that redirects to a local unix socket
    with unix_trap(tmp_path) as (socket_trap, target):
        answer = Scripted(301, {"Location": f"{target}ada/work/"})
        with scripted_server(answer) as base:
            # when a host connects it
            refused = _connect(api, make_host(api), f"{base}ada/work/")
    # then it is refused, and the socket saw nothing
    assert refused.status == 422, refused.body
    assert answer.seen and socket_trap.connections == 0


NOT_CALDAV = (b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:resp', "application/xml")
ANSWERS = [
    (401, {}, (b"<html>" + SECRET + b"</html>", "text/html"), "the server refused the username and password (401)"),
    (403, {}, (SECRET, "text/plain"), "the server refused the username and password (403)"),
    (404, {}, (SECRET, "text/plain"), "the server has no calendar at this URL (404)"),
    (500, {}, (SECRET, "text/plain"), "the server answered 500"),
    (503, {}, (SECRET, "text/plain"), "the server answered 503"),
    (200, {}, (b"<html><body>" + SECRET + b"</body></html>", "text/html"), "the URL is not a CalDAV calendar"),
    (207, {}, (NOT_CALDAV[0] + SECRET, NOT_CALDAV[1]), "the URL is not a CalDAV calendar"),
]


@pytest.mark.parametrize(("status", "headers", "body", "said"), ANSWERS, ids=[str(a[0]) for a in ANSWERS])
def test_a_refused_calendar_is_explained_in_our_words_never_the_servers(
    api: Api, status: int, headers: dict[str, str], body: tuple[bytes, str], said: str
) -> None:
    # given (loopback allowed) a server whose every answer carries a secret
    answer = Scripted(status, {"Content-Type": body[1], **headers}, body[0])
    with scripted_server(answer) as base:
        # when a host connects it
        refused = _connect(api, make_host(api), f"{base}ada/work/")
    # then the 422 says what went wrong in our words, and nothing of what the server said
    assert (refused.status, refused.body["errors"][0]["field"]) == (422, "url"), refused.body
    assert refused.body["errors"][0]["message"] == f"the calendar could not be used: {said}"
    assert SECRET.decode() not in str(refused.body)


def test_a_calendar_that_cannot_be_reached_is_explained_in_our_words(api: Api) -> None:
    with Trap() as closed:
        port = closed.port
    refused = _connect(api, make_host(api), f"http://127.0.0.1:{port}/ada/work/")  # nobody listens now
    assert refused.body["errors"][0]["message"] == "the calendar could not be used: could not connect to the server"


SUBSCRIBE_REFUSED = [
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[2001::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::127.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[ff02::1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://localhost./",
]


@pytest.mark.parametrize("url", SUBSCRIBE_REFUSED)
def test_subscribing_a_receiver_on_a_non_public_address_is_refused(api: Api, production: None, url: str) -> None:
    refused = api.post("/webhooks", {"url": url, "events": ["*"]})
    assert (refused.status, refused.body["errors"][0]["field"]) == (422, "url"), refused.body
    assert refused.body["errors"][0]["message"] == PUBLIC_HOST
    assert not WebhookSubscription.objects.exists()


def test_a_receiver_whose_name_resolves_to_loopback_is_refused_on_connecting(
    api: Api, app: Slotwise, trap: Trap, loopback: LoopbackName, settings: Any
) -> None:
    # given a subscription to a name (accepted when made: names are checked on connecting)
    made = api.post("/webhooks", {"url": f"http://{loopback.name}:{trap.port}/hooks", "events": ["*"]})
    assert made.status == 201, made.body
    app.book_slot(UUID(make_event_type(api, make_host(api))), datetime(2026, 1, 7, 9, tzinfo=UTC), attendee())
    RecordOnly(LogSource(app)).step()
    (row,) = SideEffect.objects.filter(handler="webhook.deliver")
    # when it is delivered under production's rule
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = False
    assert tasks.deliver_webhook(row.id) == "failed"
    # then the attempt is logged as refused, and the listener saw nothing
    row.refresh_from_db()
    assert row.state == SideEffect.FAILED and "non-public" in row.last_error
    assert [d.status_code for d in WebhookDelivery.objects.all()] == [None]
    assert trap.connections == 0
