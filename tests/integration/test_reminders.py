"""Reminders: the view makes one row per booking and lead time and follows reschedules and
cancellations; the scheduler's tick sends only due ones, each once, with the invitation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from icalendar import Calendar

from booking.application import Slotwise
from projections.models import Reminder
from projections.projector import Projector
from projections.replay import replay
from projections.sources import LogSource
from projections.views import VIEWS
from providers import reminders, tasks
from providers.models import SideEffect
from tests.integration.conftest import WEEKDAYS, Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql
from tests.integration.smtp_server import SmtpServer
from tests.integration.views_support import snapshot
from tests.support import Clock

GUEST = "bo@example.com"


@pytest.fixture
def now(clock: Clock) -> datetime:
    """The application's clock at the real time: the view judges "already due" by the events' own time."""
    clock.now = datetime.now(UTC).replace(second=0, microsecond=0)
    return clock.now


def event_type_of(api: Api, **fields: Any) -> str:
    host = make_host(api, "Europe/Berlin", hours=[("00:00", "24:00")], days=WEEKDAYS)
    return make_event_type(api, host, bookingWindowDays=730, **fields)


def book(api: Api, event_type: str, start: datetime) -> str:
    made = api.post("/bookings", {"eventTypeId": event_type, "start": start.isoformat(), "attendee": attendee()})
    assert made.status == 201, made.body
    return str(made.data["uid"])


def catch_up(app: Slotwise) -> None:
    Projector(VIEWS["reminders"], LogSource(app)).catch_up()


def rows(uid: str) -> list[tuple[int, datetime]]:
    return [(r.minutes, r.due_at) for r in Reminder.objects.filter(booking_uid=uid).order_by("due_at")]


def tick(app: Slotwise, at: datetime) -> list[str]:
    """One scheduler tick at `at`, its reminders sent at once (as a worker would); returns the outcomes."""
    catch_up(app)
    outcomes: list[str] = []
    reminders.tick(at, send=lambda task, effect_id: outcomes.append(tasks.send_reminder(effect_id)))
    return outcomes


def soon(now: datetime, days: int = 3) -> datetime:
    return (now + timedelta(days=days)).replace(minute=0)


def on_the_grid(t: datetime) -> datetime:
    """The first start offered at or after `t` (slots every 30 minutes from midnight)."""
    rounded = t.replace(minute=0) + timedelta(minutes=30 * -(-t.minute // 30))
    return rounded


def test_a_booking_gets_reminders_a_day_and_an_hour_before_its_start(app: Slotwise, api: Api, now: datetime) -> None:
    start = soon(now)
    uid = book(api, event_type_of(api), start)
    catch_up(app)
    assert rows(uid) == [(1440, start - timedelta(days=1)), (60, start - timedelta(hours=1))]


def test_the_tick_sends_only_due_reminders_each_once_with_the_invitation(
    app: Slotwise, api: Api, smtp: SmtpServer, now: datetime
) -> None:
    start = soon(now)
    uid = book(api, event_type_of(api), start)
    day_before = start - timedelta(days=1)
    # not yet due: nothing
    assert tick(app, day_before - timedelta(minutes=1)) == []
    # due: recorded and enqueued by the first of two ticks, sent once however often it is delivered
    catch_up(app)
    queued: list[int] = []
    reminders.tick(day_before, send=lambda task, effect_id: queued.append(effect_id))
    reminders.tick(day_before, send=lambda task, effect_id: queued.append(effect_id))  # a second scheduler
    assert len(queued) == 1
    assert [tasks.send_reminder(queued[0]), tasks.send_reminder(queued[0])] == ["sent", "nothing to do"]
    assert tick(app, day_before + timedelta(minutes=1)) == []
    assert tick(app, start - timedelta(hours=1)) == ["sent"]
    assert tick(app, start - timedelta(minutes=59)) == []
    # then two emails, with distinct stable Message-IDs, each carrying the invitation
    sent = smtp.to(GUEST)
    ids = [str(r.id) for r in Reminder.objects.filter(booking_uid=uid).order_by("due_at")]
    assert [m.message_id for m in sent] == [f"<reminder.{i}@slotwise.localhost>" for i in ids]
    assert [m.message["Subject"].split(":")[0] for m in sent] == ["Reminder", "Reminder"]
    text = sent[0].message.get_body(preferencelist=("plain",))
    assert text is not None and "starts in 1 day." in text.get_content()
    alternative = next(p for p in sent[1].message.walk() if p.get_content_type() == "text/calendar")
    assert alternative.get_param("method") == "REQUEST"
    vevent = Calendar.from_ical(alternative.get_content()).walk("VEVENT")[0]
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin" and vevent["DTSTART"].dt == start


def test_two_schedulers_ticking_at_once_send_each_reminder_once(
    app: Slotwise, api: Api, smtp: SmtpServer, now: datetime, settings: Any
) -> None:
    event_type = event_type_of(api)
    starts = [soon(now) + timedelta(hours=n) for n in range(4)]
    for start in starts:
        book(api, event_type, start)
    catch_up(app)
    settings.SLOTWISE_REMINDER_GRACE_MINUTES = 240
    at = starts[-1] - timedelta(days=1)  # every day-before reminder is due, within the grace
    barrier, outcomes = threading.Barrier(2), []

    def scheduler() -> None:
        barrier.wait()
        reminders.tick(at, send=lambda task, effect_id: outcomes.append(tasks.send_reminder(effect_id)))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent"] * 4
    assert len(smtp.messages()) == 4 and len({m.message_id for m in smtp.messages()}) == 4


def test_rescheduling_moves_unsent_reminders_and_keeps_sent_ones_sent(
    app: Slotwise, api: Api, smtp: SmtpServer, now: datetime
) -> None:
    start = soon(now)
    uid = book(api, event_type_of(api), start)
    assert tick(app, start - timedelta(days=1)) == ["sent"]  # the day-before reminder went out
    sent_key = SideEffect.objects.get(handler="email.reminder").key
    # when the booking moves two days later
    later = start + timedelta(days=2)
    assert api.post(f"/bookings/{uid}/reschedule", {"start": later.isoformat()}).status == 200
    catch_up(app)
    # then both reminders are due before the new start; the one sent stays sent
    assert rows(uid) == [(1440, later - timedelta(days=1)), (60, later - timedelta(hours=1))]
    assert SideEffect.objects.get(key=sent_key).state == SideEffect.DONE
    assert tick(app, start - timedelta(hours=1)) == []  # the old hour-before reminder moved away
    assert tick(app, later - timedelta(days=1)) == ["sent"]
    assert tick(app, later - timedelta(hours=1)) == ["sent"]
    sequences = [
        int(Calendar.from_ical(p.get_content()).walk("VEVENT")[0]["SEQUENCE"])
        for m in smtp.to(GUEST)
        for p in m.message.walk()
        if p.get_content_type() == "text/calendar"
    ]
    assert sequences == [1, 2, 2]
    # and moving it to three hours from now leaves only the hour-before reminder: the day-before is past
    soonest = on_the_grid(now + timedelta(hours=3))
    assert api.post(f"/bookings/{uid}/reschedule", {"start": soonest.isoformat()}).status == 200
    catch_up(app)
    assert rows(uid) == [(60, soonest - timedelta(hours=1))]


def test_cancelling_drops_unsent_reminders(app: Slotwise, api: Api, smtp: SmtpServer, now: datetime) -> None:
    start = soon(now)
    uid = book(api, event_type_of(api), start)
    catch_up(app)
    assert len(rows(uid)) == 2
    api.post(f"/bookings/{uid}/cancel", {"reason": "x"})
    catch_up(app)
    assert rows(uid) == []
    assert tick(app, start - timedelta(days=1)) == [] and tick(app, start - timedelta(hours=1)) == []
    assert smtp.messages() == []


def test_a_reminder_already_due_when_the_booking_is_made_is_never_sent_late(
    app: Slotwise, api: Api, now: datetime
) -> None:
    event_type = event_type_of(api)
    in_half_an_hour = book(api, event_type, on_the_grid(now + timedelta(minutes=30)))  # 30 to 59 minutes ahead
    two_hours_ahead = on_the_grid(now + timedelta(hours=2))
    in_two_hours = book(api, event_type, two_hours_ahead)
    catch_up(app)
    assert rows(in_half_an_hour) == []
    assert rows(in_two_hours) == [(60, two_hours_ahead - timedelta(hours=1))]


def test_an_event_type_chooses_its_reminders_or_none(app: Slotwise, api: Api, now: datetime) -> None:
    start = soon(now, days=10)
    silent = book(api, event_type_of(api, reminders=[]), start)
    chosen = book(api, event_type_of(api, reminders=[10080, 15]), start)
    catch_up(app)
    assert rows(silent) == []
    assert rows(chosen) == [(10080, start - timedelta(days=7)), (15, start - timedelta(minutes=15))]


def test_a_reminder_switched_off_after_booking_is_not_sent(
    app: Slotwise, api: Api, smtp: SmtpServer, now: datetime
) -> None:
    event_type = event_type_of(api)
    start = soon(now)
    book(api, event_type, start)
    assert api.patch(f"/event-types/{event_type}", {"reminders": [60]}).status == 200
    assert tick(app, start - timedelta(days=1)) == ["withdrawn: the event type no longer has this reminder"]
    assert tick(app, start - timedelta(hours=1)) == ["sent"]
    assert len(smtp.messages()) == 1


@pytest.mark.parametrize(
    "value",
    [[1], [40321], [60, 60], [5, 10, 15, 20, 25, 30], [30.5], ["60"], 60, [True]],
    ids=["too-soon", "too-far", "twice", "six", "fraction", "text", "not-a-list", "boolean"],
)
def test_bad_reminders_are_refused_with_a_problem_naming_the_field(app: Slotwise, api: Api, value: Any) -> None:
    host = make_host(api)
    body = {"hostId": host, "slug": "intro", "title": "Intro", "lengthInMinutes": 30, "reminders": value}
    refused = api.post("/event-types", body)
    assert refused.status == 422, refused.body
    assert refused.headers["Content-Type"] == "application/problem+json"
    # the setting itself, or the item in it that has the wrong type ("reminders[0]")
    assert [e["field"].partition("[")[0] for e in refused.body["errors"]] == ["reminders"]
    assert api.get("/event-types").data == []


def test_reminders_may_not_be_patched_to_null(app: Slotwise, api: Api) -> None:
    event_type = make_event_type(api, make_host(api))
    refused = api.patch(f"/event-types/{event_type}", {"reminders": None})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "reminders"


def test_the_setting_is_shown_and_changed_through_rest_and_graphql(app: Slotwise, api: Api, api_key: str) -> None:
    event_type = make_event_type(api, make_host(api))
    assert api.get(f"/event-types/{event_type}").data["reminders"] == [1440, 60]
    changed = api.patch(f"/event-types/{event_type}", {"reminders": [120, 30]})
    assert changed.status == 200 and changed.data["reminders"] == [120, 30]
    for view in VIEWS.values():
        Projector(view, LogSource(app)).catch_up()
    shown = Gql(api_key)("query($e: ID!) { eventType(id: $e) { reminders } }", {"e": event_type})
    assert not shown.errors, shown.body
    assert shown.data["eventType"]["reminders"] == [120, 30]


def test_the_view_replays_to_what_the_live_projector_built_and_sends_nothing_again(
    app: Slotwise, api: Api, smtp: SmtpServer, now: datetime
) -> None:
    event_type = event_type_of(api, reminders=[1440, 120, 60])
    start = soon(now)
    uids = [book(api, event_type, start + timedelta(hours=n)) for n in range(5)]
    assert tick(app, start - timedelta(days=1)) == ["sent"]
    api.post(f"/bookings/{uids[1]}/reschedule", {"start": (start + timedelta(days=1)).isoformat()})
    api.post(f"/bookings/{uids[2]}/cancel", {"reason": "x"})
    api.patch(f"/event-types/{event_type}", {"reminders": [30]})
    uids.append(book(api, event_type, start + timedelta(hours=8)))
    catch_up(app)
    live = snapshot(VIEWS["reminders"])
    assert len(live["Reminder"]) == 4 * 3 + 1  # three untouched, one moved, one cancelled, one made with [30]
    replay(VIEWS["reminders"], LogSource(app))
    assert snapshot(VIEWS["reminders"]) == live
    assert tick(app, start - timedelta(days=1)) == []  # the rebuilt view forgot nothing of what was sent
    assert len(smtp.messages()) == 1
    assert UUID(uids[0]) in {r.booking_uid for r in Reminder.objects.all()}
