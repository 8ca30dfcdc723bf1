"""Rates as limit settings spell them: `N/second`, `N/minute`, `N/hour`, or `off`.

A rate of N per period is a budget of N requests that may come at once and that refills evenly
over the period (one request back every period/N): the GCRA in providers/gcra.py.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*([0-9]{1,9})\s*/\s*(second|minute|hour)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """N requests per period: at most `count` at once, then one every `interval` seconds."""

    count: int
    seconds: float

    @property
    def interval(self) -> float:
        return self.seconds / self.count

    def cell(self, n: int = 1) -> tuple[float, float]:
        """(interval, tolerance) for the GCRA when one request takes `n` from the budget: the
        budget's arrival time moves on n intervals, and may stand at most count - n ahead."""
        return n * self.interval, (self.count - n) * self.interval

    def __str__(self) -> str:
        unit = next(name for name, length in PERIODS.items() if length == self.seconds)
        return f"{self.count}/{unit}"


def parse_rate(text: str) -> Rate | None:
    """`60/minute` -> Rate(60, 60.0); `off` -> None. Raises ValueError for anything else."""
    if text.strip().lower() == "off":
        return None
    found = _RATE.match(text)
    if found is None or int(found[1]) < 1:
        raise ValueError(f"{text!r} is not a rate: write N/second, N/minute or N/hour (N >= 1), or off")
    return Rate(int(found[1]), PERIODS[found[2].lower()])


def rate_from_env(variable: str, default: str) -> Rate | None:
    """The variable's rate; a malformed one stops start-up, naming the variable."""
    try:
        return parse_rate(os.environ.get(variable, default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable}: {error}") from None


def count_from_env(variable: str, default: str, minimum: int = 0, allow_off: bool = False) -> int | None:
    """A whole number from `minimum` up (or `off` when allowed, as None); a malformed one stops
    start-up, naming the variable."""
    raw = os.environ.get(variable, default).strip()
    if allow_off and raw.lower() == "off":
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < minimum:
        wanted = f"a whole number >= {minimum}" + (", or off" if allow_off else "")
        raise ImproperlyConfigured(f"{variable}: {raw!r} is not {wanted}")
    return int(raw)
