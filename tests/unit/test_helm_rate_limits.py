"""The chart sets the public request limits on the API and the email cap on the workers."""

from __future__ import annotations

import helm_python
import pytest

from tests.unit.test_helm_chart import api_container, container_of, plain_env, render


def test_the_api_gets_the_public_limits_with_one_trusted_proxy_by_default() -> None:
    env = plain_env(api_container(render()))
    assert env["SLOTWISE_PUBLIC_RATE_LIMIT"] == "60/minute"
    assert env["SLOTWISE_PUBLIC_READ_RATE_LIMIT"] == "120/minute"
    assert env["SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT"] == "10/second"
    assert env["SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT"] == "50/second"
    assert env["SLOTWISE_TRUSTED_PROXY_COUNT"] == "1"  # behind the ingress in front of the ClusterIP Service


def test_limits_are_set_from_values_and_off_is_accepted() -> None:
    values = {
        "rateLimits": {
            "public": "off",
            "publicReads": "5/second",
            "eventType": "100/hour",
            "eventTypeReads": "off",
            "trustedProxyCount": 2,
        }
    }
    env = plain_env(api_container(render(values)))
    assert env["SLOTWISE_PUBLIC_RATE_LIMIT"] == "off" and env["SLOTWISE_PUBLIC_READ_RATE_LIMIT"] == "5/second"
    assert env["SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT"] == "100/hour"
    assert env["SLOTWISE_TRUSTED_PROXY_COUNT"] == "2"


@pytest.mark.parametrize("rate", ["60/min", "sixty/minute", "60"])
def test_a_malformed_rate_is_refused_by_the_schema(rate: str) -> None:
    with pytest.raises(helm_python.HelmError):
        render({"rateLimits": {"public": rate}})


def test_the_workers_get_the_email_cap() -> None:
    worker = container_of(render(), "Deployment/sw-worker-default")
    assert plain_env(worker)["SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR"] == "10"
    capped_off = container_of(
        render({"email": {"host": "", "from": "x@y", "perAddressPerHour": "off"}}), "Deployment/sw-worker-default"
    )
    assert plain_env(capped_off)["SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR"] == "off"
