"""The outbound address rule: which URLs a user may make our workers call (webhook receivers, CalDAV
calendars), in every spelling of an address the OS resolver accepts, and the resolver every such
connection goes through."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from providers.addresses import AddressRefused, PublicResolver, refusal_in, session, url_problem

ROOT = Path(__file__).resolve().parents[2]

REFUSED = [
    ("loopback", "http://127.0.0.1/"),
    ("loopback, elsewhere in 127/8", "http://127.8.9.10:8080/x"),
    ("IPv4 shorthand", "http://127.1/"),
    ("IPv4 as one decimal number", "http://2130706433/"),
    ("IPv4 in hex", "http://0x7f000001/"),
    ("IPv4 in octal", "http://0177.0.0.1/"),
    ("private shorthand", "http://10.1/"),
    ("0.0.0.0", "http://0.0.0.0:8000/"),
    ("0 alone", "http://0/"),
    ("cloud metadata", "http://169.254.169.254/latest/meta-data/"),
    ("private 10/8", "https://10.1.2.3/"),
    ("private 172.16/12", "https://172.16.0.1/"),
    ("private 192.168/16", "https://192.168.1.1/"),
    ("carrier-grade NAT", "https://100.64.0.1/"),
    ("IPv4 multicast", "http://224.0.0.1/"),
    ("IPv4 reserved", "http://240.0.0.1/"),
    ("broadcast", "http://255.255.255.255/"),
    ("localhost", "http://localhost:8080/"),
    ("localhost with a trailing dot", "http://localhost./"),
    ("a .localhost name", "http://calendar.localhost/"),
    ("an address with a trailing dot", "http://127.0.0.1./"),
    ("IPv6 loopback", "http://[::1]/"),
    ("IPv6 unspecified", "http://[::]/"),
    ("IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/"),
    ("IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/"),
    ("IPv4-compatible", "http://[::127.0.0.1]/"),
    ("IPv4-compatible, public inside", "http://[::8.8.8.8]/"),
    ("NAT64 of loopback", "http://[64:ff9b::7f00:1]/"),
    ("NAT64 of metadata", "http://[64:ff9b::a9fe:a9fe]/"),
    ("local-use NAT64", "http://[64:ff9b:1::808:808]/"),
    ("6to4 of loopback", "http://[2002:7f00:1::]/"),
    ("6to4 of a private network", "http://[2002:c0a8:101::1]/"),
    ("Teredo", "http://[2001::1]/"),
    ("Teredo with a public client", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/"),
    ("IPv6 link-local", "http://[fe80::1]/"),
    ("IPv6 link-local with a zone", "http://[fe80::1%25eth0]/"),
    ("IPv6 unique-local", "http://[fd00::1]/"),
    ("IPv6 site-local (deprecated)", "http://[fec0::1]/"),
    ("IPv6 multicast", "http://[ff02::1]/"),
    ("IPv6 global-scope multicast", "http://[ff0e::1]/"),
    ("documentation range", "http://[2001:db8::1]/"),
]

ALLOWED = [
    ("a public name", "https://hooks.example.com/slotwise"),
    ("a public name with a trailing dot", "https://dav.example.com./ada/"),
    ("a public IPv4 address", "https://8.8.8.8/"),
    ("a public IPv6 address", "https://[2606:4700:4700::1111]/"),
    ("NAT64 of a public address", "http://[64:ff9b::808:808]/"),
]


@pytest.fixture
def production(settings: Any) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize(("case", "url"), REFUSED, ids=[case for case, _ in REFUSED])
def test_a_url_reaching_a_non_public_address_is_refused_in_any_spelling(production: None, case: str, url: str) -> None:
    assert url_problem(url) == "must name a public host, not a loopback, private or link-local address", case


@pytest.mark.parametrize(("case", "url"), ALLOWED, ids=[case for case, _ in ALLOWED])
def test_a_url_on_a_public_host_is_allowed(production: None, case: str, url: str) -> None:
    assert url_problem(url) is None, case


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "must be an absolute http(s) URL with a host"),
        ("http+unix://%2Fvar%2Frun%2Fdocker.sock/", "must be an absolute http(s) URL with a host"),
        ("https:///path", "must be an absolute http(s) URL with a host"),
        ("https://ada:secret@dav.example.com/", "must not carry credentials (user:password@)"),
        ("https://dav.example.com:99999/", "has an invalid port"),
    ],
)
def test_a_url_we_would_not_call_for_other_reasons_says_why(production: None, url: str, problem: str) -> None:
    assert url_problem(url) == problem


def test_the_setting_lifts_the_address_rule_and_nothing_else(settings: Any) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True
    assert url_problem("http://127.0.0.1:5232/ada/") is None
    assert url_problem("http://[64:ff9b::7f00:1]/") is None
    assert url_problem("https://ada:secret@127.0.0.1/") == "must not carry credentials (user:password@)"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "::1", "::ffff:127.0.0.1", "localhost"])
def test_the_resolver_refuses_a_host_that_resolves_to_a_non_public_address(production: None, host: str) -> None:
    # given the resolver every outbound session uses; when it is asked for a loopback host
    with pytest.raises(AddressRefused, match="non-public"):
        PublicResolver().getaddrinfo(host, 80, socket.AF_UNSPEC, socket.SOCK_STREAM)


def test_the_resolver_answers_as_the_os_does_when_private_addresses_are_allowed(settings: Any) -> None:
    settings.SLOTWISE_ALLOW_PRIVATE_URLS = True
    found = PublicResolver().getaddrinfo("127.1", 80, socket.AF_INET, socket.SOCK_STREAM)
    assert [info[4] for info in found] == [("127.0.0.1", 80)]


def test_an_outbound_session_mounts_only_http_and_https_and_ignores_proxy_settings() -> None:
    # a redirect to http+unix:// would otherwise reach a local socket (the Docker daemon's, say)
    with session() as made:
        assert sorted(made.adapters) == ["http://", "https://"]
        assert made.trust_env is False
        assert isinstance(made.resolver, PublicResolver)


def test_a_refusal_is_found_however_deeply_a_library_wrapped_it() -> None:
    refused = AddressRefused("x resolves to a non-public address; refused")
    try:
        try:
            raise refused
        except AddressRefused as inner:
            raise ConnectionError("could not connect") from inner
    except ConnectionError as outer:
        wrapped = RuntimeError(outer)
    assert refusal_in(wrapped) is refused
    assert refusal_in(ConnectionError("refused by the peer")) is None


@pytest.mark.parametrize(
    ("environment", "allowed"),
    [
        ({"SLOTWISE_ALLOW_PRIVATE_URLS": "1"}, "True"),
        ({"SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS": "1"}, "True"),  # the older name, still read
        ({"SLOTWISE_ALLOW_PRIVATE_URLS": "0", "SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS": "1"}, "False"),
        ({}, "False"),
    ],
)
def test_one_setting_rules_outbound_addresses_and_the_older_name_still_works(
    environment: dict[str, str], allowed: str
) -> None:
    # given a fresh process with only these variables set, when it reads its settings
    clean = {k: v for k, v in os.environ.items() if not k.endswith("ALLOW_PRIVATE_URLS")}
    read = "from booking.settings.outbound import SLOTWISE_ALLOW_PRIVATE_URLS as a; print(a)"
    out = subprocess.run(
        [sys.executable, "-c", read], cwd=ROOT, env={**clean, **environment}, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == allowed
