"""/metrics answers the scraper only: the bearer token when one is set, loopback clients otherwise.

Client addresses are the WSGI environ's REMOTE_ADDR (no traffic leaves the test process).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import Reply, reply_of

TOKEN = "metrics-token-for-tests"  # a test value, not a credential


def _scrape(remote_addr: str, authorization: str | None = None) -> Reply:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return reply_of(Client(REMOTE_ADDR=remote_addr).get("/metrics", headers=headers))


@pytest.fixture
def token(settings: Any) -> str:
    settings.SLOTWISE_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_loopback_clients_read_the_metrics(db: None, address: str) -> None:
    # given no metrics token, when a client on the loopback interface scrapes
    reply = _scrape(address)
    # then it gets the samples
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert b"# TYPE slotwise_side_effects gauge" in reply.body  # the text format, not JSON: kept as bytes


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "::ffff:10.0.0.1", "not-an-ip"])
def test_without_a_token_other_clients_are_forbidden(db: None, address: str) -> None:
    # given no metrics token, when a client off the loopback interface scrapes
    reply = _scrape(address)
    # then it is refused with a problem naming why
    assert reply.status == 403
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.code == "forbidden"


@pytest.mark.parametrize("address", ["10.1.2.3", "127.0.0.1"])
def test_with_a_token_the_bearer_of_it_reads_the_metrics_from_anywhere(db: None, token: str, address: str) -> None:
    # given a metrics token, when Prometheus scrapes with it (from its own pod, or locally)
    reply = _scrape(address, f"Bearer {token}")
    # then it gets the samples
    assert reply.status == 200
    assert b"# TYPE slotwise_side_effects gauge" in reply.body


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
@pytest.mark.parametrize("address", ["10.1.2.3", "127.0.0.1"])
def test_with_a_token_anyone_without_it_is_unauthorised(
    db: None, token: str, address: str, authorization: str | None
) -> None:
    # given a metrics token, when a client (loopback included) scrapes without it
    reply = _scrape(address, authorization)
    # then it is told to authenticate, with a problem naming the header
    assert reply.status == 401
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert reply.code == "unauthorized"
    assert reply.fields == ["Authorization"]
