"""Reading limit settings from the environment: rates (`N/second`, `N/minute`, `N/hour`, or
`off`, parsed by providers.gcra, where the GCRA that spends them lives), whole numbers and
on/off switches."""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

from providers.gcra import Rate, parse_rate


def rate_from_env(variable: str, default: str) -> Rate | None:
    """The variable's rate; a malformed one stops start-up, naming the variable."""
    try:
        return parse_rate(os.environ.get(variable, default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable}: {error}") from None


def switch_from_env(variable: str, default: str) -> bool:
    """`on` -> True, `off` -> False; a malformed value stops start-up, naming the variable."""
    raw = os.environ.get(variable, default).strip().lower()
    if raw not in ("on", "off"):
        raise ImproperlyConfigured(f"{variable}: {raw!r} is not on or off")
    return raw == "on"


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
