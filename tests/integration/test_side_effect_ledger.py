"""The side-effect ledger: claims are leases, retries are scheduled in the row by the handler's
policy, deferrals cost no attempt, and old finished rows can be pruned."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.utils import timezone

from providers.base import Rejected, Unavailable
from providers.effects import Deferred, RetryPolicy, Suppressed, claim, claim_many, perform, perform_many, prune
from providers.models import SideEffect

POLICY = RetryPolicy(base=1.0, cap=8.0, max_attempts=3)


def _row(**fields: Any) -> SideEffect:
    return SideEffect.objects.create(
        key=f"{uuid4()}/test/{uuid4()}",
        handler="calendar.sync",
        target="t",
        event_id=uuid4(),
        aggregate_id=uuid4(),
        position=1,
        **fields,
    )


def _failing(error: Exception) -> Any:
    def work(effect: SideEffect) -> str:
        raise error

    return work


def test_a_claimed_row_cannot_be_claimed_again_until_its_lease_runs_out(transactional_db: None) -> None:
    row = _row()
    assert claim(row.id) is not None
    assert claim(row.id) is None  # a duplicate message while a worker holds it does nothing
    SideEffect.objects.filter(id=row.id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert claim(row.id) is not None  # the holder died: the row is free again


def test_a_batch_claim_takes_only_the_rows_a_claim_of_each_would_take(transactional_db: None) -> None:
    free, due_again = _row(), _row(not_before=timezone.now() - timedelta(seconds=1))
    held = _row(claimed_until=timezone.now() + timedelta(seconds=60))  # another worker's lease
    later = _row(not_before=timezone.now() + timedelta(seconds=60))
    finished = _row(state=SideEffect.DONE)
    lapsed = _row(claimed_until=timezone.now() - timedelta(seconds=1))  # its worker died
    ids = [row.id for row in (free, due_again, held, later, finished, lapsed)]
    taken = claim_many(ids)
    assert sorted(taken) == sorted([free.id, due_again.id, lapsed.id])
    assert all(effect.claimed_until is not None and effect.claimed_until > timezone.now() for effect in taken.values())
    assert claim_many(ids) == {}  # a duplicate batch while this worker holds them does nothing
    assert claim(free.id) is None


def test_a_batch_is_carried_out_row_by_row_and_each_row_once(transactional_db: None) -> None:
    ok, failing, held = _row(), _row(), _row(claimed_until=timezone.now() + timedelta(seconds=60))
    seen: list[int] = []

    def work(effect: SideEffect) -> str:
        seen.append(effect.id)
        if effect.id == failing.id:
            raise Unavailable("503")
        return "sent"

    outcomes = perform_many([ok.id, failing.id, held.id, ok.id], POLICY, work)
    assert outcomes == ["sent", "retry scheduled", "nothing to do", "nothing to do"]
    assert seen == [ok.id, failing.id]
    states = dict(SideEffect.objects.filter(id__in=[ok.id, failing.id]).values_list("id", "state"))
    assert states == {ok.id: SideEffect.DONE, failing.id: SideEffect.PENDING}


def test_a_long_batch_renews_a_lease_near_its_end_and_skips_a_row_another_worker_took(
    transactional_db: None, settings: Any
) -> None:
    settings.SLOTWISE_SIDE_EFFECT_LEASE_SECONDS = 2
    first, second, third = _row(), _row(), _row()
    leases: dict[int, Any] = {}

    def slow(effect: SideEffect) -> str:
        leases[effect.id] = effect.claimed_until
        if effect.id == first.id:  # this row takes more than half of the batch's lease
            time.sleep(1.2)
            # meanwhile the third row's lease ran out and another worker claimed it
            SideEffect.objects.filter(id=third.id).update(claimed_until=timezone.now() + timedelta(seconds=60))
        return "sent"

    assert perform_many([first.id, second.id, third.id], POLICY, slow) == ["sent", "sent", "nothing to do"]
    assert leases[second.id] > leases[first.id]  # renewed before its work, not left to run out
    assert SideEffect.objects.get(id=third.id).state == SideEffect.PENDING  # the other worker's to finish


def test_a_retryable_failure_schedules_the_next_attempt_in_the_row(transactional_db: None) -> None:
    row = _row()
    before = timezone.now()
    assert perform(row.id, POLICY, _failing(Unavailable("503", retry_after=30))) == "retry scheduled"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_until, row.enqueued_at) == (SideEffect.PENDING, 1, None, None)
    assert row.not_before is not None and row.not_before >= before + timedelta(seconds=30)  # Retry-After honoured
    assert perform(row.id, POLICY, lambda effect: "done") == "nothing to do"  # not due yet


def test_the_policy_gives_up_after_its_attempts_and_a_refusal_at_once(transactional_db: None) -> None:
    row = _row(attempts=2)
    assert perform(row.id, POLICY, _failing(Unavailable("503"))) == "failed"
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SideEffect.FAILED, 3) and "503" in row.last_error
    refused = _row()
    assert perform(refused.id, POLICY, _failing(Rejected("400"))) == "failed"
    assert SideEffect.objects.get(id=refused.id).attempts == 1


def test_a_deferral_waits_without_spending_an_attempt(transactional_db: None) -> None:
    row = _row()
    assert perform(row.id, POLICY, _failing(Deferred("budget spent", 5))).startswith("deferred")
    row.refresh_from_db()
    assert row.attempts == 0 and row.state == SideEffect.PENDING and row.not_before > timezone.now()


FOREIGN = "quoted: a\x00b\x1b[0m\r\n\t\ud800 end"  # NUL, controls, a lone surrogate (a JSON "\\ud800")
CLEANED = "quoted: a\ufffdb\ufffd[0m\ufffd\n\t\ufffd end"


def test_an_error_quoting_foreign_text_is_stored_cleaned_and_the_policy_still_decides(transactional_db: None) -> None:
    # unclean, the write of last_error itself raised: the row stayed claimed, to be sent again
    # once its lease ran out, and again, never counted and never dead-lettered
    row = _row()
    assert perform(row.id, POLICY, _failing(ValueError(FOREIGN + "x" * 5000))) == "retry scheduled"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_until) == (SideEffect.PENDING, 1, None)
    assert row.last_error.startswith("ValueError: " + CLEANED) and len(row.last_error) == 2000
    dead = _row(attempts=2)
    assert perform(dead.id, POLICY, _failing(ValueError(FOREIGN))) == "failed"
    assert SideEffect.objects.get(id=dead.id).last_error == "ValueError: " + CLEANED
    waiting = _row()
    assert perform(waiting.id, POLICY, _failing(Deferred(FOREIGN, 5))).startswith("deferred")
    assert SideEffect.objects.get(id=waiting.id).last_error == CLEANED
    held = _row()
    assert perform(held.id, POLICY, _failing(Suppressed(FOREIGN))) == "suppressed"
    assert SideEffect.objects.get(id=held.id).last_error == CLEANED


def test_success_finishes_the_row_once(transactional_db: None) -> None:
    row = _row()
    assert perform(row.id, POLICY, lambda effect: "upserted") == "upserted"
    assert perform(row.id, POLICY, lambda effect: "again") == "nothing to do"
    assert SideEffect.objects.get(id=row.id).state == SideEffect.DONE


def test_pruning_deletes_old_done_rows_and_keeps_dead_letters_unless_asked(transactional_db: None) -> None:
    now = timezone.now()
    old_done = _row(state=SideEffect.DONE, done_at=now - timedelta(days=8))
    new_done = _row(state=SideEffect.DONE, done_at=now - timedelta(days=1))
    old_failed = _row(state=SideEffect.FAILED, done_at=now - timedelta(days=40))
    pending = _row()
    assert prune(now - timedelta(days=7)) == 1
    assert set(SideEffect.objects.values_list("id", flat=True)) == {new_done.id, old_failed.id, pending.id}
    assert prune(now - timedelta(days=7), failed_before=now - timedelta(days=30)) == 1
    assert not SideEffect.objects.filter(id__in=[old_done.id, old_failed.id]).exists()


@pytest.mark.parametrize("attempt", [1, 2, 5, 10, 40, 70])
def test_backoff_is_full_jitter_under_a_capped_exponential(attempt: int) -> None:
    policy = RetryPolicy(base=2.0, cap=600.0)
    delays = [policy.delay(attempt) for _ in range(200)]
    ceiling = min(600.0, 2.0 * 2**attempt)
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling / 2  # spread across the range, not pinned to a floor
    assert all(policy.delay(attempt, retry_after=700) >= 700 for _ in range(20))  # never sooner than asked


def test_metrics_show_waiting_work_and_dead_letters_per_handler(transactional_db: None) -> None:
    from django.test import Client

    _row()
    _row(created_at=timezone.now())
    _row(state=SideEffect.FAILED, done_at=timezone.now())
    SideEffect.objects.filter(state=SideEffect.PENDING).update(created_at=timezone.now() - timedelta(minutes=5))
    text = Client().get("/metrics").content.decode()
    assert 'slotwise_side_effects{handler="calendar.sync",state="pending"} 2.0' in text
    assert 'slotwise_side_effects{handler="calendar.sync",state="failed"} 1.0' in text
    waited = next(line for line in text.splitlines() if line.startswith("slotwise_side_effect_oldest_pending_seconds{"))
    assert 299 < float(waited.split()[-1]) < 400


def test_a_dispatcher_batch_reads_the_calendars_of_all_its_hosts_in_one_query(app: Any, api: Any, clock: Any) -> None:
    clock.now = datetime(2026, 3, 20, 8, tzinfo=UTC)  # the bookings below are three days ahead
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projections.sources import LogSource
    from providers.models import CalendarAccount
    from tests.integration.conftest import attendee, make_event_type, make_host
    from tests.integration.side_effects_support import Recorder

    hosts = [make_host(api) for _ in range(3)]
    calendars = [
        CalendarAccount.objects.create(
            organisation_id=uuid4(), host_id=hosts[0], provider="caldav", url=f"http://127.0.0.1:9/{n}", secret="-"
        )
        for n in range(2)
    ]
    CalendarAccount.objects.create(  # gone: no sync
        organisation_id=uuid4(),
        host_id=hosts[1],
        provider="caldav",
        url="http://127.0.0.1:9/x",
        secret="-",
        disconnected_at=timezone.now(),
    )
    for host in hosts:
        kind = make_event_type(api, host)
        for hour in (9, 10):
            body = {"eventTypeId": kind, "start": f"2026-03-23T{hour:02d}:00:00+01:00", "attendee": attendee()}
            assert api.post("/bookings", body).status == 201
    with CaptureQueriesContext(connection) as seen:
        Recorder(LogSource(app)).step()
    assert len([q for q in seen.captured_queries if 'FROM "provider_calendar_account"' in q["sql"]]) == 1
    syncs = SideEffect.objects.filter(handler="calendar.sync")
    assert sorted(syncs.values_list("target", flat=True)) == sorted(str(c.id) for c in calendars for _ in (9, 10))


def test_a_retry_scheduled_while_its_message_was_being_sent_is_sent_again_when_due(
    transactional_db: None, monkeypatch: Any
) -> None:
    from booking.bootstrap import get_app
    from booking.celery import app as celery
    from projections.sources import LogSource
    from providers.dispatcher import Dispatcher

    row = _row()
    sent: list[Any] = []

    def fast_worker(name: str, args: list[Any]) -> None:  # runs the work before the sender marks it
        sent.append(args)
        soon = RetryPolicy(base=0.01, cap=0.01, max_attempts=3)
        assert perform(row.id, soon, _failing(Unavailable("429", retry_after=0.2))) == "retry scheduled"

    monkeypatch.setattr(celery, "send_task", fast_worker)
    dispatcher = Dispatcher(LogSource(get_app()))
    assert dispatcher.publish() == 1
    row.refresh_from_db()
    assert row.enqueued_at is None  # the retry's, not marked sent by the message before it
    time.sleep(0.3)
    monkeypatch.setattr(celery, "send_task", lambda name, args: sent.append(args))
    assert dispatcher.publish() == 1  # due again: sent again, not left until the requeue time
    assert len(sent) == 2
