"""Integration fixtures: the real stores (SQLite or PostgreSQL, per DATABASE_URL) behind the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from django.test import Client
from osmem_server import OsmemServer

from booking.api_keys import create_api_key
from booking.application import Slotwise
from booking.bootstrap import set_app, store_env
from projections.elastic.client import client as es_client
from projections.elastic.client import ensure_alias
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.smtp_server import SmtpServer, smtp_server
from tests.support import Clock, Reply, reply_of, wipe_event_store

# The suite makes many public requests from 127.0.0.1 and sends many emails to one attendee: the
# public request limits and the email cap are off for every test that is not about them, in this
# process (limits_off) and in every server or worker a test starts (they inherit the environment
# limits_off_in_started_processes sets). The limit tests turn them on explicitly
# (tests/integration/limits_support.py).
LIMITS_OFF = {"SLOTWISE_PUBLIC_RATE_LIMITS": "off", "SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR": "off"}


@pytest.fixture(scope="session", autouse=True)
def limits_off_in_started_processes() -> Iterator[None]:
    """The limits off in the environment servers and workers inherit, for the session; the
    environment is given back as it was afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in LIMITS_OFF.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL this process runs many threads at once (writers, readers, projectors,
    schedulers), each holding a connection of Django's pool while it lives; the pool is as big
    as they need here. The servers and workers a test starts keep the production pool size."""
    from django.conf import settings

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict):
        pool["max_size"] = 64


@pytest.fixture(autouse=True)
def limits_off(settings: Any) -> None:
    settings.SLOTWISE_PUBLIC_RATE_LIMITS = False
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = None


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def loopback_servers_reachable(settings: Any) -> None:
    """The suite's servers (Radicale, receivers, contract servers) live on loopback; the tests of the
    outbound address rule turn it back on."""
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def app(transactional_db: None, clock: Clock) -> Iterator[Slotwise]:
    application = Slotwise(env=store_env(create_table=False), clock=clock)
    wipe_event_store(application)
    set_app(application)
    yield application
    set_app(None)


class Api:
    """JSON calls through the whole Django stack (middleware included)."""

    def __init__(self, key: str | None = None) -> None:
        self.client = Client()
        self.key = key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if (key or self.key) and "Authorization" not in sent:
            sent["Authorization"] = f"Bearer {key or self.key}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs: dict[str, Any] = {"headers": sent}
        if data is not None:
            kwargs.update(data=data, content_type=sent.pop("Content-Type", "application/json"))
        response = getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)
        return reply_of(response)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)


@pytest.fixture
def project(app: Slotwise) -> Callable[[], None]:
    """Brings every view up to date, as the running projectors would."""

    def catch_up() -> None:
        for view in VIEWS.values():
            Projector(view, LogSource(app)).catch_up()

    return catch_up


@pytest.fixture
def api_key(app: Slotwise) -> str:
    return create_api_key("acme")


@pytest.fixture
def api(api_key: str) -> Api:
    return Api(api_key)


@pytest.fixture
def public() -> Api:
    return Api()


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def make_host(
    api: Api,
    tz: str = "Europe/Berlin",
    hours: list[tuple[str, str]] | None = None,
    days: tuple[str, ...] = WEEKDAYS[:5],
) -> str:
    reply = api.post("/hosts", {"name": "Ada", "email": "ada@example.com", "timeZone": tz})
    assert reply.status == 201, reply.body
    host_id = reply.data["id"]
    intervals = [{"start": s, "end": e} for s, e in (hours or [("09:00", "17:00")])]
    reply = api.put(f"/hosts/{host_id}/schedule", {"weekly": {d: intervals for d in days}, "overrides": []})
    assert reply.status == 200, reply.body
    return str(host_id)


def make_event_type(api: Api, host_id: str, **fields: Any) -> str:
    body = {"hostId": host_id, "slug": "intro", "title": "Intro", "lengthInMinutes": 30, **fields}
    reply = api.post("/event-types", body)
    assert reply.status == 201, reply.body
    return str(reply.data["id"])


def attendee(tz: str = "America/New_York") -> dict[str, str]:
    return {"name": "Bo", "email": "bo@example.com", "timeZone": tz}


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """An in-memory OpenSearch-API server standing in for Elasticsearch (see docs/elasticsearch.md)."""
    with OsmemServer.start() as server:
        yield server.url


@pytest.fixture
def es(emulator: str, settings: Any) -> Any:
    """A client for this test's own indices (a fresh prefix), with both views' aliases made."""
    settings.SLOTWISE_ES_URL = emulator
    settings.SLOTWISE_ES_PLAIN_JSON = True
    settings.SLOTWISE_ES_PREFIX = f"t{uuid4().hex[:10]}"
    made = es_client()
    for name in VIEWS:
        ensure_alias(made, name)
    return made


@pytest.fixture(scope="session")
def radicale_server() -> Iterator[Any]:
    """A real CalDAV server (Radicale, tests/integration/radicale_server.py) for the whole session:
    a RadicaleServer with .url, .username, .password and .calendar_url(name); give each test its own
    calendar name."""
    from tests.integration.radicale_server import radicale

    with radicale() as server:
        yield server


@pytest.fixture
def google_server() -> Iterator[Any]:
    """A Google Calendar contract server (tests/integration/provider_servers) on a free loopback port, for one
    test: its own user, client, tokens, events and faults."""
    from tests.integration.provider_servers import GoogleServer

    with GoogleServer() as server:
        yield server


@pytest.fixture
def microsoft_server() -> Iterator[Any]:
    """A Microsoft Graph contract server (tests/integration/provider_servers) on a free loopback port, for one
    test: its own mailbox, client, tokens, events and faults."""
    from tests.integration.provider_servers import MicrosoftServer

    with MicrosoftServer() as server:
        yield server


@pytest.fixture(scope="session")
def mail_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd, tests/integration/smtp_server.py) for the whole session."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def smtp(mail_server: SmtpServer, settings: Any) -> SmtpServer:
    """The real SMTP server, fresh for each test, as this process's mail backend."""
    mail_server.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = mail_server.host, mail_server.port
    return mail_server
