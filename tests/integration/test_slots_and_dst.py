"""Slots over REST, and DST: the skipped hour offers nothing, the repeated hour is offered twice."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.integration.conftest import WEEKDAYS, Api, attendee, make_event_type, make_host
from tests.support import Clock

ALL_DAY = [("00:00", "24:00")]

# (host zone, local date, slots that day, hour skipped or repeated)
TRANSITIONS = [
    ("America/New_York", "2026-03-08", 23, 2),
    ("America/New_York", "2026-11-01", 25, 1),
    ("America/New_York", "2027-03-14", 23, 2),
    ("America/New_York", "2027-11-07", 25, 1),
    ("Europe/Berlin", "2026-03-29", 23, 2),
    ("Europe/Berlin", "2026-10-25", 25, 2),
    ("Europe/Berlin", "2027-03-28", 23, 2),
    ("Europe/Berlin", "2027-10-31", 25, 2),
    ("Australia/Sydney", "2026-04-05", 25, 2),
    ("Australia/Sydney", "2026-10-04", 23, 2),
    ("Australia/Sydney", "2027-04-04", 25, 2),
    ("Australia/Sydney", "2027-10-03", 23, 2),
]


@pytest.fixture
def from_new_year(clock: Clock) -> Clock:
    clock.now = datetime(2026, 1, 1, tzinfo=UTC)
    return clock


def _slots(public: Api, event_type: str, first: str, last: str, tz: str) -> dict[str, list[str]]:
    reply = public.get(f"/slots?eventTypeId={event_type}&start={first}&end={last}&timeZone={tz}")
    assert reply.status == 200, reply.body
    return {day: [s["start"] for s in slots] for day, slots in reply.data.items()}


@pytest.mark.parametrize(("zone", "day", "count", "hour"), TRANSITIONS, ids=[f"{z}-{d}" for z, d, *_ in TRANSITIONS])
def test_transition_days_offer_real_hours(
    from_new_year: Clock, api: Api, public: Api, zone: str, day: str, count: int, hour: int
) -> None:
    event_type = make_event_type(
        api, make_host(api, zone, ALL_DAY, WEEKDAYS), lengthInMinutes=60, bookingWindowDays=730
    )
    starts = [datetime.fromisoformat(s) for s in _slots(public, event_type, day, day, zone)[day]]
    assert len(starts) == count
    assert starts[0].hour == 0 and starts[0].date().isoformat() == day
    # every slot is exactly one real hour after the one before
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(starts)} == {3600.0}
    hours = [s.hour for s in starts]
    if count == 23:
        assert hour not in hours  # the skipped hour offers nothing
    else:
        repeated = [s for s in starts if s.hour == hour]
        assert len(repeated) == 2 and repeated[0].utcoffset() != repeated[1].utcoffset()
        assert repeated[0].astimezone(UTC) != repeated[1].astimezone(UTC)


def test_new_york_fall_back_instants_are_exact(from_new_year: Clock, api: Api, public: Api) -> None:
    event_type = make_event_type(
        api, make_host(api, "America/New_York", ALL_DAY, WEEKDAYS), lengthInMinutes=60, bookingWindowDays=730
    )
    day = _slots(public, event_type, "2026-11-01", "2026-11-01", "America/New_York")["2026-11-01"]
    assert day[:4] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]
    both = _slots(public, event_type, "2026-11-01", "2026-11-01", "UTC")
    assert both["2026-11-01"][4:7] == [
        "2026-11-01T04:00:00+00:00",
        "2026-11-01T05:00:00+00:00",
        "2026-11-01T06:00:00+00:00",
    ]


def test_repeated_hour_is_bookable_twice(from_new_year: Clock, api: Api, public: Api) -> None:
    event_type = make_event_type(
        api, make_host(api, "Europe/Berlin", ALL_DAY, WEEKDAYS), lengthInMinutes=60, bookingWindowDays=730
    )
    for start in ("2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"):
        made = public.post("/bookings", {"eventTypeId": event_type, "start": start, "attendee": attendee()})
        assert made.status == 201, made.body
    skipped = public.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-03-29T02:30:00+01:00", "attendee": attendee()}
    )
    assert skipped.status == 422  # 02:30 does not exist in Berlin that day; that instant is 03:30 CEST, off-grid


def test_kolkata_invitee_sees_berlin_hours_shift_across_the_transition(
    from_new_year: Clock, api: Api, public: Api
) -> None:
    event_type = make_event_type(api, make_host(api, "Europe/Berlin"), bookingWindowDays=730)
    seen = _slots(public, event_type, "2026-03-27", "2026-03-30", "Asia/Kolkata")
    assert sorted(seen) == ["2026-03-27", "2026-03-30"]  # the weekend has no slots and is omitted
    assert seen["2026-03-27"][0] == "2026-03-27T13:30:00+05:30"  # 09:00 CET
    assert seen["2026-03-30"][0] == "2026-03-30T12:30:00+05:30"  # 09:00 CEST
    assert seen["2026-03-30"][-1] == "2026-03-30T20:00:00+05:30"  # 16:30 CEST
    assert len(seen["2026-03-30"]) == 16


def test_kiritimati_invitee_sees_new_york_evening_under_the_next_date(
    from_new_year: Clock, api: Api, public: Api
) -> None:
    event_type = make_event_type(
        api,
        make_host(api, "America/New_York", [("18:00", "24:00")], WEEKDAYS),
        lengthInMinutes=60,
        bookingWindowDays=730,
    )
    seen = _slots(public, event_type, "2026-11-02", "2026-11-02", "Pacific/Kiritimati")
    assert seen == {"2026-11-02": [f"2026-11-02T{h}:00:00+14:00" for h in range(13, 19)]}


def test_booked_slots_disappear_and_dates_without_slots_are_omitted(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    event_type = make_event_type(api, make_host(api))  # Berlin, weekdays 09:00-17:00; clock Mon 2026-01-05 08:00Z
    week = _slots(public, event_type, "2026-01-06", "2026-01-12", "Europe/Berlin")
    assert sorted(week) == ["2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12"]
    assert len(week["2026-01-06"]) == 16
    public.post("/bookings", {"eventTypeId": event_type, "start": week["2026-01-06"][0], "attendee": attendee()})
    project()
    after = _slots(public, event_type, "2026-01-06", "2026-01-06", "Europe/Berlin")
    assert after["2026-01-06"] == week["2026-01-06"][1:]


def test_today_only_offers_what_is_still_ahead(api: Api, public: Api, clock: Clock) -> None:
    event_type = make_event_type(api, make_host(api), minimumNoticeMinutes=60)
    clock.now = datetime(2026, 1, 5, 10, 10, tzinfo=UTC)  # 11:10 in Berlin
    today = _slots(public, event_type, "2026-01-05", "2026-01-05", "Europe/Berlin")["2026-01-05"]
    assert today[0] == "2026-01-05T12:30:00+01:00"
