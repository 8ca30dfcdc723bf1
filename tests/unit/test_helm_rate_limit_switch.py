"""The chart's master switch of the public limits (rateLimits.enabled) and `off` for one budget."""

from __future__ import annotations

import helm_python
import pytest

from tests.unit.test_helm_chart import api_container, plain_env, render


def test_the_public_limits_are_on_by_default() -> None:
    assert plain_env(api_container(render()))["SLOTWISE_PUBLIC_RATE_LIMITS"] == "on"


def test_enabled_false_switches_every_public_limit_off() -> None:
    env = plain_env(api_container(render({"rateLimits": {"enabled": False}})))
    assert env["SLOTWISE_PUBLIC_RATE_LIMITS"] == "off"
    assert env["SLOTWISE_PUBLIC_RATE_LIMIT"] == "60/minute"  # the rates stay as they are, unused


def test_public_off_switches_only_the_write_budget_per_address_off() -> None:
    env = plain_env(api_container(render({"rateLimits": {"public": "off"}})))
    assert env["SLOTWISE_PUBLIC_RATE_LIMITS"] == "on" and env["SLOTWISE_PUBLIC_RATE_LIMIT"] == "off"
    assert env["SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT"] == "10/second"


@pytest.mark.parametrize("enabled", ["off", "no", 0])
def test_enabled_must_be_a_boolean(enabled: object) -> None:
    with pytest.raises(helm_python.HelmError):
        render({"rateLimits": {"enabled": enabled}})


def test_the_switch_cannot_be_set_around_the_values() -> None:
    with pytest.raises(helm_python.HelmError):
        render({"env": {"SLOTWISE_PUBLIC_RATE_LIMITS": "off"}})
