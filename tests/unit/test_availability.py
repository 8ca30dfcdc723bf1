"""The availability rules on their own: pure domain, no store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.domain.availability import Availability, Reservation, SlotRules, _Holds, candidate_starts
from booking.domain.errors import (
    BeyondBookingWindow,
    DailyLimitReached,
    OutsideAvailability,
    SlotUnavailable,
    TooShortNotice,
)
from booking.domain.schedule import Schedule

BERLIN = ZoneInfo("Europe/Berlin")
ET = UUID(int=1)
NOW = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
TUESDAY = date(2026, 1, 6)


def rules(**over: object) -> SlotRules:
    base = dict(
        event_type_id=ET,
        length=timedelta(minutes=30),
        interval=timedelta(minutes=30),
        buffer_before=timedelta(0),
        buffer_after=timedelta(0),
        minimum_notice=timedelta(0),
        booking_window_days=60,
        max_per_day=None,
    )
    return SlotRules(**{**base, **over})  # type: ignore[arg-type]


def schedule(*hours: tuple[str, str]) -> Schedule:
    return Schedule.parse({"tuesday": [{"start": s, "end": e} for s, e in hours or (("09:00", "17:00"),)]}, [])


def at(hh: int, mm: int = 0, day: date = TUESDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=BERLIN).astimezone(UTC)


def held(start: datetime, r: SlotRules | None = None) -> Reservation:
    return Reservation.for_booking(uuid4(), r or rules(), start, BERLIN)


def availability(
    r: SlotRules | None = None, *reservations: Reservation, sched: Schedule | None = None, now: datetime = NOW
) -> Availability:
    return Availability(sched or schedule(), BERLIN, r or rules(), now, tuple(reservations))


def test_grid_steps_by_interval_and_keeps_the_meeting_inside_the_hours() -> None:
    starts = list(
        candidate_starts(
            schedule(("09:00", "10:00"), ("13:00", "14:15")),
            BERLIN,
            rules(length=timedelta(minutes=45), interval=timedelta(minutes=15)),
            TUESDAY,
        )
    )
    assert starts == [at(9), at(9, 15), at(13), at(13, 15), at(13, 30)]


def test_each_rule_refuses_with_its_own_error() -> None:
    assert isinstance(availability().refusal(at(9, 10)), OutsideAvailability)
    assert isinstance(availability().refusal(at(18)), OutsideAvailability)
    assert isinstance(
        availability(rules(minimum_notice=timedelta(hours=2)), now=at(7, 30)).refusal(at(9)), TooShortNotice
    )
    assert isinstance(availability(now=at(9, 30)).refusal(at(9)), TooShortNotice)  # the past
    assert isinstance(availability(rules(booking_window_days=0)).refusal(at(9)), BeyondBookingWindow)
    assert availability(rules(booking_window_days=1)).refusal(at(9)) is None


def test_buffers_protect_meetings_but_may_overlap_each_other() -> None:
    padded = rules(
        buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15), interval=timedelta(minutes=15)
    )
    existing = held(at(10), padded)  # meeting 10:00-10:30, blocked 09:45-10:45
    check = availability(padded, existing)
    assert isinstance(check.refusal(at(10, 30)), SlotUnavailable)  # would start inside the after-buffer
    assert isinstance(check.refusal(at(9, 30)), SlotUnavailable)  # its end falls in the before-buffer
    assert check.refusal(at(10, 45)) is None  # buffers touching buffers is fine
    assert check.refusal(at(9, 15)) is None


def test_daily_limit_counts_only_that_event_types_bookings_that_local_day() -> None:
    limited = rules(max_per_day=2)
    other_type = held(at(9), rules(event_type_id=UUID(int=2)))
    monday = held(at(9, day=date(2026, 1, 5)), limited)
    check = availability(limited, other_type, monday, held(at(10), limited), sched=schedule())
    assert check.refusal(at(11)) is None
    full = availability(limited, other_type, held(at(10), limited), held(at(11), limited))
    assert isinstance(full.refusal(at(12)), DailyLimitReached)


def test_offered_are_exactly_the_unrefused_grid_starts() -> None:
    check = availability(rules(), held(at(10)), now=at(9, 15))
    offered = check.offered([TUESDAY])
    grid = list(candidate_starts(schedule(), BERLIN, rules(), TUESDAY))
    assert offered == [s for s in grid if check.refusal(s) is None]
    assert at(9) not in offered and at(10) not in offered and at(9, 30) in offered


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Australia/Sydney", date(2026, 4, 5), 25),
        ("Australia/Sydney", date(2026, 10, 4), 23),
    ],
)
def test_a_whole_day_has_as_many_hours_as_the_clock_says(zone: str, day: date, expected: int) -> None:
    every_day = Schedule.parse(
        {
            d: [{"start": "00:00", "end": "24:00"}]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
        [],
    )
    hourly = rules(length=timedelta(hours=1), interval=timedelta(hours=1))
    assert len(list(candidate_starts(every_day, ZoneInfo(zone), hourly, day))) == expected


def test_working_hours_starting_in_a_skipped_hour_shift_forward() -> None:
    sched = Schedule.parse({"sunday": [{"start": "02:30", "end": "04:00"}]}, [])
    starts = list(candidate_starts(sched, BERLIN, rules(), date(2026, 3, 29)))
    # 02:30 does not exist that night; it means 03:30 CEST, leaving one half-hour
    assert starts == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]


def test_a_hold_spanning_midnight_sits_on_both_days() -> None:
    late = Reservation.for_booking(
        uuid4(), rules(length=timedelta(hours=2), buffer_after=timedelta(minutes=30)), at(23, 0), BERLIN
    )
    assert late.local_dates(BERLIN) == [TUESDAY, TUESDAY + timedelta(days=1)]
    assert held(at(9)).local_dates(BERLIN) == [TUESDAY]


# The offered grid of a month asks "does this start conflict with any hold" thousands of times;
# the holds are indexed for it. The index must answer exactly what the pairwise rule answers.
minutes = st.integers(min_value=0, max_value=95).map(lambda quarter: 15 * quarter)  # edges meet often
lengths = st.sampled_from([0, 5, 15, 30, 45, 60, 120, 600])


@st.composite
def holds_and_rules(draw: st.DrawFn) -> tuple[SlotRules, list[Reservation], datetime]:
    def some_rules() -> SlotRules:
        return rules(
            length=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60]))),
            buffer_before=timedelta(minutes=draw(lengths)),
            buffer_after=timedelta(minutes=draw(lengths)),
        )

    day = datetime(2026, 1, 6, tzinfo=UTC)
    reservations = [
        Reservation.for_booking(uuid4(), some_rules(), day + timedelta(minutes=draw(minutes)), BERLIN)
        for _ in range(draw(st.integers(min_value=0, max_value=12)))
    ]
    return some_rules(), reservations, day + timedelta(minutes=draw(minutes))


@given(holds_and_rules())
@settings(max_examples=300, deadline=None)
def test_the_hold_index_finds_a_conflict_exactly_when_some_hold_conflicts(
    case: tuple[SlotRules, list[Reservation], datetime],
) -> None:
    r, reservations, start = case
    wanted = Reservation.for_booking(uuid4(), r, start, BERLIN)
    pairwise = any(wanted.conflicts_with(other) for other in reservations)
    index = _Holds(reservations)
    assert index.conflict(wanted.start, wanted.end, wanted.blocked_start, wanted.blocked_end) == pairwise


# `offered` asks once a day what only depends on the day, and skips the starts outside the range
# asked for; it must offer exactly the starts in that range that a refusal of each would pass.
@st.composite
def offers(draw: st.DrawFn) -> tuple[Availability, list[date], tuple[datetime, datetime]]:
    kind = rules(
        length=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        interval=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        buffer_before=timedelta(minutes=draw(lengths)),
        buffer_after=timedelta(minutes=draw(lengths)),
        minimum_notice=timedelta(minutes=draw(st.sampled_from([0, 60, 600, 1500, 3000]))),
        booking_window_days=draw(st.integers(min_value=0, max_value=3)),
        max_per_day=draw(st.none() | st.integers(min_value=1, max_value=3)),
    )
    other = rules(event_type_id=UUID(int=2))
    first = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, midnight UTC
    reservations = [
        Reservation.for_booking(
            uuid4(),
            draw(st.sampled_from([kind, other])),
            first + timedelta(minutes=15 * draw(st.integers(0, 500))),
            BERLIN,
        )
        for _ in range(draw(st.integers(min_value=0, max_value=10)))
    ]
    every_day = Schedule.parse(
        {
            d: [{"start": "00:00", "end": "24:00"}] if draw(st.booleans()) else [{"start": "08:00", "end": "12:30"}]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
        [],
    )
    now = first + timedelta(minutes=15 * draw(st.integers(0, 300)))
    days = [date(2026, 1, 5) + timedelta(days=n) for n in range(draw(st.integers(min_value=1, max_value=5)))]
    low = first + timedelta(minutes=15 * draw(st.integers(-100, 500)))
    high = low + timedelta(minutes=15 * draw(st.integers(0, 500)))
    return Availability(every_day, BERLIN, kind, now, tuple(reservations)), days, (low, high)


@given(offers())
@settings(max_examples=300, deadline=None)
def test_offered_starts_are_exactly_those_a_refusal_of_each_would_pass(
    case: tuple[Availability, list[date], tuple[datetime, datetime]],
) -> None:
    check, days, (low, high) = case
    holds = check._holds(None)
    one_by_one = [
        start
        for day in days
        for start in candidate_starts(check.schedule, check.tz, check.rules, day)
        if low <= start < high and check._rule_refusal(start, day, holds) is None
    ]
    assert check.offered(days, within=(low, high)) == one_by_one
    assert check.offered(days) == [
        s
        for day in days
        for s in candidate_starts(check.schedule, check.tz, check.rules, day)
        if check._rule_refusal(s, day, holds) is None
    ]
