"""The limit settings: rates as `N/second|minute|hour` or `off`, their defaults, and a malformed
value stopping start-up with the variable's name; the client address budgets are counted by."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.test import RequestFactory

from booking.throttle import client_address
from providers.gcra import Rate, parse_rate
from tests.support import settings_in_a_fresh_process


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess[str]:
    return settings_in_a_fresh_process(
        (
            "SLOTWISE_PUBLIC_RATE_LIMIT",
            "SLOTWISE_PUBLIC_READ_RATE_LIMIT",
            "SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT",
            "SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT",
            "SLOTWISE_TRUSTED_PROXY_COUNT",
            "SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR",
        ),
        **env,
    )


@pytest.mark.parametrize(
    ("text", "rate"),
    [("60/minute", Rate(60, 60.0)), (" 10 / Second ", Rate(10, 1.0)), ("5/hour", Rate(5, 3600.0)), ("off", None)],
)
def test_a_rate_is_n_per_second_minute_or_hour_or_off(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["60", "60/min", "0/minute", "-1/hour", "sixty/minute", "60/day", "", "60/minute/2"])
def test_anything_else_is_not_a_rate(text: str) -> None:
    with pytest.raises(ValueError, match="N/second, N/minute or N/hour"):
        parse_rate(text)


def test_a_rate_of_n_lets_n_through_at_once_then_one_per_period_over_n() -> None:
    assert Rate(60, 60.0).cell() == (1.0, 59.0)  # the 60th fits at once, the 61st a second later
    assert Rate(60, 60.0).cell(3) == (3.0, 57.0)  # three at once need three free


def test_the_defaults_limit_writes_harder_than_reads_and_event_types_in_short_bursts() -> None:
    loaded = _settings_in_a_fresh_process()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["60/minute", "120/minute", "10/second", "50/second", "0", "10"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SLOTWISE_PUBLIC_RATE_LIMIT", "60/min", "SLOTWISE_PUBLIC_RATE_LIMIT: '60/min' is not a rate"),
        (
            "SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT",
            "lots",
            "SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT: 'lots' is not a rate",
        ),
        ("SLOTWISE_TRUSTED_PROXY_COUNT", "one", "SLOTWISE_TRUSTED_PROXY_COUNT: 'one' is not a whole number >= 0"),
        ("SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR", "0", "SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR: '0' is not a whole"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_variable(variable: str, value: str, message: str) -> None:
    loaded = _settings_in_a_fresh_process(**{variable: value})
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr and message in loaded.stderr


def test_off_is_accepted_where_a_limit_may_be_switched_off() -> None:
    loaded = _settings_in_a_fresh_process(SLOTWISE_PUBLIC_RATE_LIMIT="off", SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR="off")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split()[0] == "None" and loaded.stdout.split()[-1] == "None"


def _from(remote: str, forwarded: str | None = None) -> Any:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/api/v1/slots", REMOTE_ADDR=remote, **headers)


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings: Any) -> None:
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 0
    assert client_address(_from("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


def test_behind_trusted_proxies_the_entry_the_outermost_one_wrote_is_the_client(settings: Any) -> None:
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 1
    # the client sent its own header; the proxy appended what it saw
    assert client_address(_from("10.0.0.5", "203.0.113.9, 198.51.100.7")) == "198.51.100.7"
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 2
    assert client_address(_from("10.0.0.5", "203.0.113.9, 198.51.100.7, 10.0.0.4")) == "198.51.100.7"


def test_a_header_that_did_not_pass_every_trusted_proxy_or_names_no_address_is_ignored(settings: Any) -> None:
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 2
    assert client_address(_from("10.0.0.5", "198.51.100.7")) == "10.0.0.5"
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 1
    assert client_address(_from("10.0.0.5", "198.51.100.7, " + "x" * 300)) == "10.0.0.5"


def test_ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4(settings: Any) -> None:
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = 0
    one, same_network = client_address(_from("2001:db8:1:2::1")), client_address(_from("2001:db8:1:2:ffff::9"))
    assert one == same_network == "2001:db8:1:2::/64"
    assert client_address(_from("2001:db8:1:3::1")) == "2001:db8:1:3::/64"
    assert client_address(_from("::ffff:192.0.2.1")) == "192.0.2.1"
