"""IANA time zones, validated against the tz database the process actually has."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from booking.domain.errors import InvalidValue


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """Every zone name this process's tz database has (the names the API accepts)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def zone(name: str, field: str = "timeZone") -> ZoneInfo:
    """The zone called `name`, or InvalidValue naming `field` if no such IANA zone exists."""
    if name not in known_zones():
        raise InvalidValue.single(field, f"unknown IANA time zone {name!r}")
    return ZoneInfo(name)
