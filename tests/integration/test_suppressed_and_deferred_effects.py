"""Two outcomes of a side effect that are not failures, recorded by the ledger itself: suppressed
(a cap said no: finished, never retried, counted by state) and deferred (not yet: scheduled again
without an attempt, but never past the handler's retry window)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.test import Client
from django.utils import timezone

from booking.application import Slotwise
from providers import tasks
from providers.effects import Deferred, RetryPolicy, Suppressed, perform, prune
from providers.models import SideEffect
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.limits_support import DAY, booking
from tests.integration.server import free_port
from tests.integration.test_email import deliver

WINDOW = RetryPolicy(base=1.0, cap=8.0, give_up_after=timedelta(hours=1))


def _row(**fields: Any) -> SideEffect:
    return SideEffect.objects.create(
        key=f"{uuid4()}/test/{uuid4()}",
        handler="email.booking",
        target="attendee",
        event_id=uuid4(),
        aggregate_id=uuid4(),
        position=1,
        **fields,
    )


def _refusing(error: Exception) -> Any:
    def work(effect: SideEffect) -> str:
        raise error

    return work


def test_a_suppressed_side_effect_is_finished_as_suppressed_with_its_reason(transactional_db: None) -> None:
    # given a pending row, when its work is refused by a cap
    row = _row()
    outcome = perform(row.id, WINDOW, _refusing(Suppressed("over the cap of 10 emails an hour to this address")))
    # then the row is suppressed, with the reason, no attempt spent and nothing scheduled
    row.refresh_from_db()
    assert outcome == "suppressed"
    assert (row.state, row.attempts, row.not_before, row.claimed_until) == (SideEffect.SUPPRESSED, 0, None, None)
    assert row.last_error == "over the cap of 10 emails an hour to this address" and row.done_at is not None
    # and it is never run again
    assert perform(row.id, WINDOW, lambda effect: "sent") == "nothing to do"


def test_the_ledger_gauge_counts_suppressed_rows_by_handler(transactional_db: None) -> None:
    # given two suppressed rows and a done one
    for _ in range(2):
        perform(_row().id, WINDOW, _refusing(Suppressed("over the cap")))
    perform(_row().id, WINDOW, lambda effect: "sent")
    # when the metrics are scraped, then the state gauge shows them; there is no second gauge
    text = Client().get("/metrics").content.decode()
    assert 'slotwise_side_effects{handler="email.booking",state="suppressed"} 2.0' in text
    assert 'slotwise_side_effects{handler="email.booking",state="done"} 1.0' in text
    assert "slotwise_side_effects_suppressed" not in text


def test_pruning_deletes_old_suppressed_rows_as_it_does_done_ones(transactional_db: None) -> None:
    now = timezone.now()
    old = _row(state=SideEffect.SUPPRESSED, done_at=now - timedelta(days=8))
    new = _row(state=SideEffect.SUPPRESSED, done_at=now - timedelta(days=1))
    assert prune(now - timedelta(days=7)) == 1
    assert list(SideEffect.objects.filter(id__in=[old.id, new.id]).values_list("id", flat=True)) == [new.id]


def test_a_deferral_within_the_retry_window_waits_without_an_attempt(transactional_db: None) -> None:
    row = _row()
    assert perform(row.id, WINDOW, _refusing(Deferred("the cap's store did not answer", 30))).startswith("deferred")
    row.refresh_from_db()
    assert (row.state, row.attempts) == (SideEffect.PENDING, 0) and row.not_before > timezone.now()


def test_a_deferral_past_the_retry_window_is_dead_lettered(transactional_db: None) -> None:
    # given a row recorded two hours ago, under a policy that gives up after one
    row = _row()
    SideEffect.objects.filter(id=row.id).update(created_at=timezone.now() - timedelta(hours=2))
    # when its work is deferred once more
    outcome = perform(row.id, WINDOW, _refusing(Deferred("the cap's store did not answer", 30)))
    # then the row is a dead letter saying why, not scheduled again
    row.refresh_from_db()
    assert outcome == "failed"
    assert row.state == SideEffect.FAILED and row.attempts == 0 and row.done_at is not None
    assert "deferred" in row.last_error and "the cap's store did not answer" in row.last_error


def test_a_confirmation_whose_cap_stays_unreadable_is_given_up_after_the_email_window(
    app: Slotwise, api: Api, settings: Any
) -> None:
    # given the email cap kept in a Redis that is not there, and a booking
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 10
    settings.SLOTWISE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event_type = make_event_type(api, make_host(api))
    assert api.post("/bookings", booking(event_type, DAY[0])).status == 201
    assert sorted(deliver(app)) == ["deferred: the email cap's store did not answer", "sent"]
    # when its retry falls due after the email retry window (a day) has passed
    row = SideEffect.objects.get(handler="email.booking", target="attendee")
    SideEffect.objects.filter(id=row.id).update(not_before=None, created_at=timezone.now() - timedelta(days=2))
    # then it is dead-lettered, not deferred again: a confirmation days late is no confirmation
    assert tasks.send_booking_email(row.id) == "failed"
    assert SideEffect.objects.get(id=row.id).state == SideEffect.FAILED
