"""The master switch of the public request limits, SLOTWISE_PUBLIC_RATE_LIMITS: on by default,
`off` turns every budget off; SLOTWISE_PUBLIC_RATE_LIMIT=off is only its own budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _loaded(**env: str) -> subprocess.CompletedProcess[str]:
    """Loads Django's settings in a new process and prints the master switch and the four rates."""
    script = (
        "import django; from django.conf import settings; django.setup();"
        "print(settings.SLOTWISE_PUBLIC_RATE_LIMITS, settings.SLOTWISE_PUBLIC_RATE_LIMIT,"
        " settings.SLOTWISE_PUBLIC_READ_RATE_LIMIT, settings.SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT,"
        " settings.SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLOTWISE_")}
    clean.update(DJANGO_SETTINGS_MODULE="booking.settings", SLOTWISE_VAR_DIR=str(ROOT / "var" / "test-unit"), **env)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True)


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
