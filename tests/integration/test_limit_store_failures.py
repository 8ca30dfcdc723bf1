"""The database as the limit store (no Redis): a store that fails lets public requests through and
says so in the log, never a 500, and holds an email back rather than send it uncounted; and a
take stays one small write, full budgets being pruned by the scheduler rather than by whichever
request first takes a new budget."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import pytest
from django.core import mail
from django.db import connection

from booking.application import Slotwise
from providers import gcra, tasks
from providers.models import RateBudget, SideEffect
from providers.resilience import shared_budget
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.limits_support import DAY, booking, limits_on, rest_from, slots_query
from tests.integration.test_email import deliver

TABLE = RateBudget._meta.db_table


@pytest.fixture
def database_store(settings: Any) -> None:
    settings.SLOTWISE_REDIS_URL = ""  # the embedded store: budgets in the Django database


def test_a_failing_database_store_lets_public_requests_through_and_logs_it(
    app: Slotwise, api: Api, settings: Any, database_store: None, caplog: pytest.LogCaptureFixture
) -> None:
    # given budgets of one request, kept in a database whose budgets' table fails every statement
    limits_on(settings, writes="1/hour", reads="1/hour", event_type_writes="1/hour", event_type_reads="1/hour")
    event_type = make_event_type(api, make_host(api))
    caller = rest_from("127.0.0.1")
    with caplog.at_level(logging.WARNING, logger="slotwise.throttle"), _budgets_table_gone():
        # when the address looks for slots and books, twice each
        looks = [caller.get(slots_query(event_type)).status for _ in range(2)]
        books = [caller.post("/bookings", booking(event_type, DAY[n])).status for n in range(2)]
    # then every request is served, none refused and none a 500
    assert looks == [200, 200] and books == [201, 201]
    # and the log says each budget it could not take was let through
    let_through = [r for r in caplog.records if r.getMessage() == "rate limit store unreachable: request let through"]
    assert {r.budget.split(":")[1] for r in let_through} == {"read", "write"}  # type: ignore[attr-defined]


@contextmanager
def _budgets_table_gone() -> Iterator[None]:
    """The budgets' table is not there (a broken or half-migrated database): every statement on
    it fails with the database's own error. Put back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE}_away RENAME TO {TABLE}")


def test_the_first_take_of_a_new_budget_leaves_other_budgets_alone(
    transactional_db: None, database_store: None
) -> None:
    # given a budget that is full again (its time has passed), and a spent one
    full, spent = f"test:{uuid4()}", f"test:{uuid4()}"
    RateBudget.objects.create(name=full, tat=time.time() - 60)
    RateBudget.objects.create(name=spent, tat=time.time() + 3600)
    # when a budget nobody has taken from before is taken
    assert shared_budget(f"test:{uuid4()}", gcra.Rate(3, 3600.0)) == 0.0
    # then the take wrote only its own row: the others are as they were
    assert set(RateBudget.objects.filter(name__in=[full, spent]).values_list("name", flat=True)) == {full, spent}


def test_the_scheduler_prunes_full_budgets_and_keeps_spent_ones(transactional_db: None, settings: Any) -> None:
    # given a budget that is full again and one still spent
    full, spent = f"test:{uuid4()}", f"test:{uuid4()}"
    RateBudget.objects.create(name=full, tat=time.time() - 60)
    RateBudget.objects.create(name=spent, tat=time.time() + 3600)
    # when the scheduled prune runs
    gone = tasks.prune_rate_budgets()
    # then only the full one is gone (a missing row is a full budget)
    assert gone >= 1
    assert list(RateBudget.objects.filter(name__in=[full, spent]).values_list("name", flat=True)) == [spent]
    # and the beat schedule runs it
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "slotwise.providers.prune_rate_budgets" in scheduled


def test_an_email_whose_cap_the_database_cannot_read_waits_and_is_not_sent_uncounted(
    app: Slotwise, api: Api, settings: Any, database_store: None
) -> None:
    # given the email cap kept in a database whose budgets' table fails every statement
    settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = 10
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event_type = make_event_type(api, make_host(api))
    assert api.post("/bookings", booking(event_type, DAY[0])).status == 201
    # when the emails go out
    with _budgets_table_gone():
        outcomes = deliver(app)
    # then the host's is sent; the attendee's waits, with no attempt counted, for the cap to answer
    assert sorted(outcomes) == ["deferred: the email cap's store did not answer", "sent"]
    row = SideEffect.objects.get(handler="email.booking", target="attendee")
    assert row.state == SideEffect.PENDING and row.attempts == 0 and row.not_before is not None
    assert [message.to for message in mail.outbox] == [["Ada <ada@example.com>"]]  # the host only
