"""IANA time zones, validated against the tz database the process actually has."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from booking.domain.errors import InvalidValue

# Files of a tz directory that are no IANA zone: `localtime` is whatever the server's
# /etc/localtime says, `posixrules` the rules for POSIX TZ strings, `Factory` no place at all;
# posix/ and right/ (with leap seconds) are copies of the database some systems ship.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
NOT_ZONE_PREFIXES = ("posix/", "right/")


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """Every IANA zone name this process's tz database has: the names the API accepts, and the
    OpenAPI TimeZone enum."""
    return frozenset(
        name for name in available_timezones() if name not in NOT_ZONES and not name.startswith(NOT_ZONE_PREFIXES)
    )


@lru_cache(maxsize=1024)
def zone(name: str, field: str = "timeZone") -> ZoneInfo:
    """The zone called `name`, or InvalidValue naming `field` if no such IANA zone exists."""
    if name not in known_zones():
        raise InvalidValue.single(field, f"unknown IANA time zone {name!r}")
    return ZoneInfo(name)
