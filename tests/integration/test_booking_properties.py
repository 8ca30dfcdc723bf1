"""Properties of the write side, for random command sequences on both stores:

- no two live bookings of a host overlap, buffers included, and daily limits hold;
- every start offered at instant T is bookable at T, and nothing else is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from booking.application import Slotwise
from booking.domain.booking import ACCEPTED
from booking.domain.errors import BookingCancelled, BookingRefused
from booking.domain.schedule import WEEKDAYS, Schedule
from tests.support import Clock

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
HOURS = [
    [("09:00", "12:00"), ("13:00", "17:00")],
    [("00:00", "24:00")],
    [("00:00", "03:30"), ("21:00", "24:00")],
]
# starting instants a few days before DST transitions in New York, Berlin and Sydney
STARTS = [
    datetime(2026, 3, 6, tzinfo=UTC),
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 4, 3, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 10, 30, tzinfo=UTC),
]


@dataclass(frozen=True)
class Book:
    event_type: int
    day: int
    pick: float | int  # float: an offered start (by position); int: any minute of the day, maybe unoffered


@dataclass(frozen=True)
class Reschedule:
    booking: int
    day: int
    pick: float | int


@dataclass(frozen=True)
class Cancel:
    booking: int


@dataclass(frozen=True)
class Advance:
    minutes: int


offered_picks = st.floats(0, 0.999)
picks = st.one_of(offered_picks, offered_picks, st.integers(0, 24 * 12 - 1).map(lambda n: n * 5))
days = st.integers(0, 3)
books = st.builds(Book, st.integers(0, 2), days, picks)
ops = st.one_of(
    books,
    books,
    books,
    st.builds(Reschedule, st.integers(0, 20), days, picks),
    st.builds(Cancel, st.integers(0, 20)),
    st.builds(Advance, st.integers(0, 600)),
)
event_types = st.fixed_dictionaries(
    {
        "length_in_minutes": st.sampled_from([15, 30, 45, 60, 90]),
        "slot_interval_minutes": st.sampled_from([None, 15, 30]),
        "buffer_before_minutes": st.sampled_from([0, 0, 10, 30]),
        "buffer_after_minutes": st.sampled_from([0, 5, 15]),
        "minimum_notice_minutes": st.sampled_from([0, 60, 240]),
        "max_bookings_per_day": st.sampled_from([None, 1, 2]),
        "booking_window_days": st.sampled_from([3, 60]),
    }
)


class World:
    def __init__(
        self,
        app: Slotwise,
        clock: Clock,
        zone: str,
        hours: list[tuple[str, str]],
        settings_list: list[dict[str, object]],
    ) -> None:
        self.app, self.clock, self.tz = app, clock, ZoneInfo(zone)
        org = app.register_organisation(f"org-{uuid4().hex[:12]}")
        host = app.register_host(org, "Ada", "ada@example.com", zone).subject
        intervals = [{"start": s, "end": e} for s, e in hours]
        app.change_schedule(org, host.id, Schedule.parse({d: intervals for d in WEEKDAYS}, []))
        self.event_types = [
            app.create_event_type(org, host.id, {"slug": f"t{i}", "title": "T", **s}).subject.id
            for i, s in enumerate(settings_list)
        ]
        self.bookings: list[UUID] = []

    def day_bounds(self, day: int) -> tuple[datetime, datetime]:
        local = self.clock().astimezone(self.tz).date() + timedelta(days=day)
        start = datetime.combine(local, time(0), tzinfo=self.tz)
        return start, datetime.combine(local + timedelta(days=1), time(0), tzinfo=self.tz)

    def choose(self, event_type: UUID, day: int, pick: float | int) -> tuple[datetime | None, bool]:
        """A start to try, and whether it is offered right now."""
        first, after = self.day_bounds(day)
        offered = self.app.offered_slots(event_type, first, after)
        # a minute past a short (spring-forward) day's end lies in the next local day
        around = self.app.offered_slots(event_type, first, after + timedelta(days=1))
        if isinstance(pick, float):
            return (offered[int(pick * len(offered))], True) if offered else (None, False)
        start = first.astimezone(UTC) + timedelta(minutes=pick)
        return start, start in around

    def check_invariants(self) -> None:
        live = [self.app.booking(uid) for uid in self.bookings]
        live = [b for b in live if b.status == ACCEPTED]
        holds = []
        for b in live:
            rules = self.app.event_type(b.event_type_id).rules
            holds.append((b, b.start - rules.buffer_before, b.end + rules.buffer_after, rules.max_per_day))
        for i, (a, a_from, a_to, _) in enumerate(holds):
            for b, b_from, b_to, _ in holds[i + 1 :]:
                assert not (a.start < b_to and b_from < a.end), f"{a.id} overlaps {b.id} or its buffers"
                assert not (b.start < a_to and a_from < b.end), f"{b.id} overlaps {a.id} or its buffers"
        per_day: dict[tuple[UUID, object], int] = {}
        for b, _, _, limit in holds:
            key = (b.event_type_id, b.start.astimezone(self.tz).date())
            per_day[key] = per_day.get(key, 0) + 1
            assert limit is None or per_day[key] <= limit


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    zone=st.sampled_from(ZONES),
    hours=st.sampled_from(HOURS),
    start=st.sampled_from(STARTS),
    settings_list=st.lists(event_types, min_size=1, max_size=3),
    steps=st.lists(ops, min_size=10, max_size=24),
)
def test_random_command_sequences_keep_the_rules(
    app: Slotwise,
    clock: Clock,
    zone: str,
    hours: list[tuple[str, str]],
    start: datetime,
    settings_list: list[dict[str, object]],
    steps: list[object],
) -> None:
    clock.now = start
    world = World(app, clock, zone, hours, settings_list)
    for step in steps:
        if isinstance(step, Book):
            event_type = world.event_types[step.event_type % len(world.event_types)]
            wanted, offered = world.choose(event_type, step.day, step.pick)
            if wanted is None:
                event("book: nothing offered that day")
                continue
            event(f"book: {'offered' if offered else 'unoffered'} start")
            try:
                made = app.book_slot(event_type, wanted, {"name": "Bo", "email": "b@x.io", "timeZone": "UTC"})
            except BookingRefused:
                assert not offered, f"{wanted} was offered at {clock()} but refused"
            else:
                assert offered, f"{wanted} was not offered at {clock()} but was booked"
                world.bookings.append(made.subject.id)
        elif isinstance(step, Reschedule) and world.bookings:
            uid = world.bookings[step.booking % len(world.bookings)]
            booking = app.booking(uid)
            wanted, offered = world.choose(booking.event_type_id, step.day, step.pick)
            if wanted is None:
                continue
            try:
                app.reschedule_booking(uid, wanted)
            except BookingCancelled:
                assert booking.status != ACCEPTED
            except BookingRefused:
                assert not offered or booking.status != ACCEPTED  # freeing our own hold only frees more
        elif isinstance(step, Cancel) and world.bookings:
            uid = world.bookings[step.booking % len(world.bookings)]
            was_live = app.booking(uid).status == ACCEPTED
            try:
                app.cancel_booking(uid, "changed plans")
            except BookingCancelled:
                assert not was_live
            else:
                assert was_live
        elif isinstance(step, Advance):
            clock.advance(minutes=step.minutes)
        world.check_invariants()
    live = sum(app.booking(uid).status == ACCEPTED for uid in world.bookings)
    event(f"live bookings at the end: {min(live, 5)}{'+' if live >= 5 else ''}")
