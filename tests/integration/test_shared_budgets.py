"""Budgets every process shares (providers.resilience.shared_budget, the GCRA of providers.gcra):
on the real Redis and in the database, one atomic decision each, never overspent."""

from __future__ import annotations

import threading
from typing import Any
from uuid import uuid4

from django.db import connection

from providers.gcra import Rate
from providers.models import RateBudget
from providers.resilience import shared_budget
from tests.integration import limits_support

store = limits_support.store


def test_a_budget_lets_n_through_at_once_then_says_how_long_to_wait(transactional_db: None, store: str) -> None:
    # given a budget of three an hour (one back every 20 minutes)
    name, rate = f"test:{uuid4()}", Rate(3, 3600.0)
    # when four are taken at once
    taken = [shared_budget(name, rate) for _ in range(3)]
    wait = shared_budget(name, rate)
    # then three go through, and the fourth would fit in 20 minutes, taking nothing meanwhile
    assert taken == [0.0, 0.0, 0.0]
    assert 1190 < wait <= 1200
    assert 1190 < shared_budget(name, rate) <= 1200
    # and two at once never fit in a budget of one
    assert shared_budget(f"test:{uuid4()}", Rate(1, 60.0), n=2) > 0


def test_taking_several_at_once_needs_them_all_free(transactional_db: None, store: str) -> None:
    name, rate = f"test:{uuid4()}", Rate(5, 3600.0)
    assert shared_budget(name, rate, n=3) == 0.0
    assert shared_budget(name, rate, n=3) > 0  # two are left
    assert shared_budget(name, rate, n=2) == 0.0


def test_concurrent_takes_never_overspend_a_database_budget(transactional_db: None, settings: Any) -> None:
    # given a budget of ten in the database, and eight threads with a connection each
    settings.SLOTWISE_REDIS_URL = ""
    name, rate = f"test:{uuid4()}", Rate(10, 3600.0)
    outcomes: list[float] = []
    lock, start = threading.Lock(), threading.Barrier(8)

    def spend() -> None:
        try:
            start.wait()
            for _ in range(5):
                wait = shared_budget(name, rate)
                with lock:
                    outcomes.append(wait)
        finally:
            connection.close()

    # when they take 40 at once
    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly ten went through, and the budget's row says it is spent for the hour
    assert len(outcomes) == 40 and outcomes.count(0.0) == 10
    assert RateBudget.objects.get(name=name).tat > 0
