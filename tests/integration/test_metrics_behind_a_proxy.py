"""/metrics without a token, behind a reverse proxy on the same host: the client is who the proxy
says, not the proxy's loopback connection, so an outside client cannot read the metrics.

Client addresses are the WSGI environ's REMOTE_ADDR (no traffic leaves the test process).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support import Reply, reply_of


def _scrape(remote_addr: str, forwarded_for: str | None = None) -> Reply:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return reply_of(Client(REMOTE_ADDR=remote_addr).get("/metrics", headers=headers))


@pytest.fixture
def no_token(settings: Any) -> None:
    settings.SLOTWISE_METRICS_TOKEN = ""


def test_an_outside_client_through_a_trusted_proxy_on_loopback_is_refused(
    db: None, settings: Any, no_token: None
) -> None:
    # given one trusted proxy on this host (it connects from 127.0.0.1), and no metrics token
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 1
    # when it passes on a scrape from an outside client
    reply = _scrape("127.0.0.1", "203.0.113.9")
    # then the client, not the proxy, is asked about: refused
    assert reply.status == 403 and reply.code == "forbidden"


@pytest.mark.parametrize("forwarded_for", ["127.0.0.1", "203.0.113.9, 127.0.0.1", "not-an-ip"])
@pytest.mark.parametrize("trusted", [0, 1, 2])
def test_a_request_a_proxy_passed_on_is_no_loopback_client(
    db: None, settings: Any, no_token: None, trusted: int, forwarded_for: str
) -> None:
    # given a proxy on this host, trusted or not, naming any client or none it could parse
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = trusted
    # when a scrape comes through it
    reply = _scrape("127.0.0.1", forwarded_for)
    # then it is refused: a proxy in between means the client may be anywhere
    assert reply.status == 403 and reply.code == "forbidden"


@pytest.mark.parametrize("trusted", [0, 1])
def test_a_loopback_client_talking_to_us_directly_still_reads_the_metrics(
    db: None, settings: Any, no_token: None, trusted: int
) -> None:
    # given a trusted proxy or none, when Prometheus on this host scrapes the API directly
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = trusted
    reply = _scrape("127.0.0.1")
    # then it gets the samples
    assert reply.status == 200 and b"# TYPE slotwise_side_effects gauge" in reply.body


def test_a_request_a_proxy_passed_on_with_the_standard_forwarded_header_is_no_loopback_client(
    db: None, no_token: None
) -> None:
    # given a proxy on this host that says whom it serves with RFC 7239's Forwarded header
    client = Client(REMOTE_ADDR="127.0.0.1")
    # when a scrape comes through it, then it is refused
    reply = reply_of(client.get("/metrics", headers={"Forwarded": "for=203.0.113.9;proto=https"}))
    assert reply.status == 403 and reply.code == "forbidden"
