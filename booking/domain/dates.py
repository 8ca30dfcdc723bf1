"""The span of calendar dates Slotwise accepts from anyone, and the one way a sent date is read.

Every date and instant a caller sends must fall in it, so that the arithmetic done on them
(a day either side, a booking window ahead, any offset or zone) stays far inside what
Python's dates can hold (years 1 to 9999). The API's dates, instants (by their written date)
and schedule overrides are all read by `parse_date`, so moving the span moves them all.
"""

from __future__ import annotations

import re
from datetime import date

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# ASCII digits only: `date.fromisoformat` also reads 20260106 and 2026-W02; matched whole
DATE_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE = re.compile(DATE_SHAPE)


def within(day: date) -> bool:
    """True when `day` lies in [FIRST_DAY, LAST_DAY]."""
    return FIRST_DAY <= day <= LAST_DAY


def parse_date(text: object) -> date | None:
    """The date `text` writes as YYYY-MM-DD, if it is a real one inside the span; else None."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if within(day) else None
