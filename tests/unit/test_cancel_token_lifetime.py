"""One rule says how long a cancel token opens its booking (`Booking.token_live`): the check on
a token holder's request and the token an answer may carry both follow it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from booking.domain.booking import Booking
from booking.domain.errors import CancelTokenExpired

START = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)


def _booking() -> Booking:
    return Booking(
        organisation_id=uuid4(),
        host_id=uuid4(),
        event_type_id=uuid4(),
        start=START,
        end=END,
        attendee={"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"},
        reserved_dates=["2026-01-06"],
    )


@pytest.mark.parametrize(
    ("now", "live"), [(START - timedelta(days=1), True), (END - timedelta(microseconds=1), True), (END, False)]
)
def test_a_token_is_live_until_the_booking_ends_and_the_check_agrees(now: datetime, live: bool) -> None:
    # given a booking ending at END
    booking = _booking()
    # then its token is live before END only, and the token holder's check refuses exactly then
    assert booking.token_live(now) is live
    if live:
        booking.ensure_token_live(now)
    else:
        with pytest.raises(CancelTokenExpired):
            booking.ensure_token_live(now)
