"""The master switch of the public request limits, SLOTWISE_PUBLIC_RATE_LIMITS: on by default,
`off` turns every budget off; SLOTWISE_PUBLIC_RATE_LIMIT=off is only its own budget."""

from __future__ import annotations

import subprocess

import pytest

from tests.support import settings_in_a_fresh_process


def _loaded(**env: str) -> subprocess.CompletedProcess[str]:
    return settings_in_a_fresh_process(
        (
            "SLOTWISE_PUBLIC_RATE_LIMITS",
            "SLOTWISE_PUBLIC_RATE_LIMIT",
            "SLOTWISE_PUBLIC_READ_RATE_LIMIT",
            "SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT",
            "SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT",
        ),
        **env,
    )


def test_the_limits_are_on_by_default() -> None:
    loaded = _loaded()
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["True", "60/minute", "120/minute", "10/second", "50/second"]


@pytest.mark.parametrize("value", ["off", " OFF "])
def test_the_master_switch_turns_them_off_and_leaves_the_rates_as_set(value: str) -> None:
    loaded = _loaded(SLOTWISE_PUBLIC_RATE_LIMITS=value)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["False", "60/minute", "120/minute", "10/second", "50/second"]


def test_off_for_the_write_budget_is_that_budget_only() -> None:
    loaded = _loaded(SLOTWISE_PUBLIC_RATE_LIMIT="off")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["True", "None", "120/minute", "10/second", "50/second"]


@pytest.mark.parametrize("value", ["no", "0", "disabled", ""])
def test_anything_but_on_or_off_stops_start_up_naming_the_variable(value: str) -> None:
    loaded = _loaded(SLOTWISE_PUBLIC_RATE_LIMITS=value)
    assert loaded.returncode != 0
    assert "ImproperlyConfigured" in loaded.stderr and "SLOTWISE_PUBLIC_RATE_LIMITS:" in loaded.stderr
