"""The span of calendar dates Slotwise accepts from anyone.

Every date and instant a caller sends must fall in it, so that the arithmetic done on them
(a day either side, a booking window ahead, any offset or zone) stays far inside what
Python's dates can hold (years 1 to 9999).
"""

from __future__ import annotations

from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def within(day: date) -> bool:
    """True when `day` lies in [FIRST_DAY, LAST_DAY]."""
    return FIRST_DAY <= day <= LAST_DAY
