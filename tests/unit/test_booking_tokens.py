"""A booking's token generation, the cancel tokens derived from it, and how long one opens its
booking: one rule (`Booking.token_live`), which the check on a token holder's request and the token
an answer may carry both follow."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from django.conf import settings

from booking.auth import cancel_token, cancel_token_matches
from booking.domain.booking import Booking
from booking.domain.errors import CancelTokenExpired, NotFound

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


def test_reschedules_and_revocations_each_start_a_new_generation_and_cancelling_does_not() -> None:
    # given a new booking, at generation 0
    booking = _booking()
    assert booking.token_generation == 0
    # when it is moved, its token revoked, and then cancelled
    booking.reschedule(START + timedelta(hours=1), START + timedelta(hours=1, minutes=30), ["2026-01-06"])
    moved = booking.token_generation
    booking.revoke_cancel_token()
    revoked = booking.token_generation
    booking.cancel("ill")
    # then each of the first two started a generation, and the cancel kept the last one
    assert (moved, revoked, booking.token_generation) == (1, 2, 2)
    events = booking.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "Rescheduled", "CancelTokenRevoked", "Cancelled"]
    assert (events[1].token_generation, events[2].token_generation) == (1, 2)


def test_a_token_works_until_the_booking_ends() -> None:
    booking = _booking()
    booking.ensure_token_live(booking.end - timedelta(microseconds=1))
    with pytest.raises(CancelTokenExpired) as expired:
        booking.ensure_token_live(booking.end)
    assert expired.value.code == "cancel_token_expired" and expired.value.field == "X-Cancel-Token"


def test_a_change_checked_at_an_older_generation_is_refused() -> None:
    # given a booking whose token was revoked after a holder's token was checked at generation 0
    booking = _booking()
    booking.revoke_cancel_token()
    # then the holder's change is refused as for a wrong token; the organisation's (None) is not
    with pytest.raises(NotFound):
        booking.ensure_token_generation(0)
    booking.ensure_token_generation(1)
    booking.ensure_token_generation(None)


def test_generation_zero_is_the_token_earlier_releases_handed_out() -> None:
    uid = uuid4()
    mac = hmac.new(settings.SECRET_KEY.encode(), f"cancel-token/{uid}".encode(), hashlib.sha256).digest()
    assert cancel_token(uid, 0) == base64.urlsafe_b64encode(mac[:24]).decode()


def test_each_generation_has_its_own_token_and_only_it_matches() -> None:
    uid = uuid4()
    tokens = [cancel_token(uid, generation) for generation in range(4)]
    assert len(set(tokens)) == 4 and tokens[3] != cancel_token(uuid4(), 3)
    assert [cancel_token_matches(uid, 2, token) for token in tokens] == [False, False, True, False]


@pytest.mark.parametrize("token", ["é" * 32, "", " ", "x" * 10_000, "\u2603"])
def test_a_token_of_another_shape_is_no_match(token: str) -> None:
    assert cancel_token_matches(uuid4(), 0, token) is False


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
