"""Schedules, event type settings and the aggregates' own guards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from booking.domain.availability import Reservation, SlotRules
from booking.domain.booking import Booking
from booking.domain.calendar import CalendarDay
from booking.domain.errors import BookingCancelled, IdempotencyKeyReused, InvalidValue, SlotUnavailable, SlugTaken
from booking.domain.event_type import EventTypeRegistry, validate_settings
from booking.domain.idempotency import IdempotencyRecord
from booking.domain.schedule import Schedule, WorkingHours
from booking.domain.timezones import known_zones, zone


def test_schedule_collects_every_error_with_its_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        Schedule.parse(
            {
                "monday": [{"start": "9:00", "end": "17:00"}],
                "funday": [],
                "friday": [{"start": "12:00", "end": "11:00"}],
            },
            [{"date": "2026-02-30", "intervals": []}],
        )
    assert [f for f, _ in caught.value.errors] == [
        "weekly.monday[0].start",
        "weekly.funday",
        "weekly.friday[0]",
        "overrides[0].date",
    ]


def test_schedule_round_trips_and_overrides_win() -> None:
    parsed = Schedule.parse(
        {"monday": [{"start": "13:00", "end": "24:00"}, {"start": "09:00", "end": "12:00"}]},
        [{"date": "2026-01-05", "intervals": []}],
    )
    assert parsed.hours_on(date(2026, 1, 12)) == (WorkingHours(540, 720), WorkingHours(780, 1440))
    assert parsed.hours_on(date(2026, 1, 5)) == ()
    assert Schedule.from_primitives(*parsed.as_primitives()) == parsed


def test_event_type_settings_are_range_checked() -> None:
    validate_settings({"slug": "intro-call", "title": "Intro", "length_in_minutes": 30, "max_bookings_per_day": None})
    with pytest.raises(InvalidValue) as caught:
        validate_settings({"slug": "-bad-", "length_in_minutes": 721, "booking_window_days": 0, "title": None})
    assert {f for f, _ in caught.value.errors} == {"slug", "length_in_minutes", "booking_window_days", "title"}


def test_unknown_zones_are_refused() -> None:
    assert zone("Asia/Kolkata").key == "Asia/Kolkata"
    with pytest.raises(InvalidValue):
        zone("../../etc/passwd")


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "posix/Europe/Berlin", "right/UTC"])
def test_names_in_the_tz_directory_that_are_no_iana_zone_are_refused(name: str) -> None:
    # `localtime` is whatever the server's /etc/localtime says; `Factory` is no place; posix/ and right/
    # are copies (right/ with leap seconds) some systems ship: none may mean anything to a client
    assert name not in known_zones()  # nor in the OpenAPI TimeZone enum, which is built from this list
    with pytest.raises(InvalidValue) as caught:
        zone(name)
    assert caught.value.field == "timeZone"


def test_a_cancelled_booking_cannot_change_again() -> None:
    start = datetime(2026, 1, 6, 8, tzinfo=UTC)
    booking = Booking(
        organisation_id=uuid4(),
        host_id=uuid4(),
        event_type_id=uuid4(),
        start=start,
        end=start + timedelta(minutes=30),
        attendee={},
        reserved_dates=["2026-01-06"],
    )
    booking.cancel("no longer needed")
    assert booking.status == "cancelled" and booking.cancellation_reason == "no longer needed"
    with pytest.raises(BookingCancelled):
        booking.cancel("again")
    with pytest.raises(BookingCancelled):
        booking.reschedule(start, start, [])


def test_calendar_day_refuses_a_conflicting_hold_by_itself() -> None:
    rules = SlotRules(
        UUID(int=1), timedelta(minutes=30), timedelta(minutes=30), timedelta(0), timedelta(0), timedelta(0), 60, None
    )
    start = datetime(2026, 1, 6, 8, tzinfo=UTC)
    day = CalendarDay(host_id=uuid4(), local_date="2026-01-06")
    day.reserve(Reservation.for_booking(uuid4(), rules, start, ZoneInfo("UTC")))
    with pytest.raises(SlotUnavailable):
        day.reserve(Reservation.for_booking(uuid4(), rules, start + timedelta(minutes=15), ZoneInfo("UTC")))
    assert len(day.reservations) == 1


def test_slug_registry_keeps_slugs_unique_and_frees_old_ones() -> None:
    registry = EventTypeRegistry(host_id=uuid4())
    first, second = uuid4(), uuid4()
    registry.claim("intro", first)
    with pytest.raises(SlugTaken):
        registry.claim("intro", second)
    registry.claim("renamed", first)
    registry.claim("intro", second)
    assert registry.slugs == {"renamed": first, "intro": second}


def test_idempotency_record_refuses_a_different_request() -> None:
    record = IdempotencyRecord(
        scope="org/x", key="k", fingerprint="a", outcome="created", resource_id=uuid4(), resource_version=1
    )
    record.ensure_same_request("a")
    with pytest.raises(IdempotencyKeyReused):
        record.ensure_same_request("b")
