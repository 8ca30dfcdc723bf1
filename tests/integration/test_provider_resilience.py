"""Rate limits and circuit breakers per connected calendar, on the real Redis, in front of a real
CalDAV server (Radicale) reached through a proxy that can fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from providers import gcra, resilience
from providers.base import RateLimited, Unavailable
from providers.caldav import CalDavProvider
from providers.calendar_sync import provider_for
from providers.models import CalendarAccount
from providers.secrets import seal
from tests.integration.fault_proxy import FaultProxy
from tests.integration.side_effects_support import REDIS_BROKER

WEEK = (datetime(2026, 2, 2, tzinfo=UTC), datetime(2026, 2, 9, tzinfo=UTC))


@pytest.fixture
def shared_redis(settings: Any) -> str:
    settings.SLOTWISE_REDIS_URL = REDIS_BROKER
    settings.SLOTWISE_REDIS_PREFIX = f"slotwise-test-{uuid4().hex[:10]}"
    return str(settings.SLOTWISE_REDIS_PREFIX)


@pytest.fixture
def proxy(radicale_server: Any) -> Iterator[FaultProxy]:
    with FaultProxy(radicale_server.url).running() as running:
        yield running


def _account(server: Any, proxy: FaultProxy, name: str) -> CalendarAccount:
    CalDavProvider(server.calendar_url(name), server.username, server.password).ensure_calendar()
    return CalendarAccount.objects.create(
        organisation_id=uuid4(),
        host_id=uuid4(),
        provider="caldav",
        url=server.calendar_url(name).replace(server.url.rstrip("/"), proxy.url),
        username=server.username,
        secret=seal({"password": server.password}),
    )


@pytest.mark.parametrize("store", ["redis", "memory"])
def test_a_budget_allows_a_burst_then_one_call_per_interval(store: str, settings: Any, shared_redis: str) -> None:
    if store == "memory":
        settings.SLOTWISE_REDIS_URL = ""
    limiter, name = _limiter(settings, per_minute=60, burst=2), f"budget-{uuid4()}"
    # 60 a minute is one a second; a burst of 2 lets three through at once
    assert [limiter(name) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter(name)
    assert 0.9 < wait <= 1.0
    assert limiter(name) > 0.9  # a refused call takes nothing from the budget


def test_every_process_draws_on_one_budget_in_redis(settings: Any, shared_redis: str) -> None:
    api_process, worker_process, name = _limiter(settings, 60, 1), _limiter(settings, 60, 1), f"budget-{uuid4()}"
    assert api_process(name) == 0.0 and worker_process(name) == 0.0
    assert api_process(name) > 0.9 and worker_process(name) > 0.9


def _limiter(settings: Any, per_minute: float, burst: int) -> Callable[[str], float]:
    """One process's account budgets (its own when there is no Redis), for a provider allowing
    `per_minute` calls with a burst of `burst`."""
    settings.SLOTWISE_PROVIDER_CALLS_PER_MINUTE, settings.SLOTWISE_PROVIDER_BURST = {"caldav": per_minute}, burst
    rate, own = resilience.account_rate("caldav"), gcra.InProcess()
    return lambda name: resilience.shared_budget(name, rate, fallback=own.take)


def test_sustained_5xx_opens_the_breaker_then_a_probe_closes_it(
    transactional_db: None, radicale_server: Any, proxy: FaultProxy, settings: Any, shared_redis: str
) -> None:
    settings.SLOTWISE_BREAKER_FAIL_MAX, settings.SLOTWISE_BREAKER_RESET_SECONDS = 3, 2
    account = _account(radicale_server, proxy, "breaker")
    calendar = provider_for(account)
    proxy.fail_until_cleared(503)
    for _ in range(3):
        with pytest.raises(Unavailable):
            calendar.busy_times(*WEEK)
    assert resilience.health(str(account.id)).circuit == "open"
    calls = len(proxy.requests())
    with pytest.raises(resilience.CircuitOpen) as paused:
        calendar.busy_times(*WEEK)
    assert len(proxy.requests()) == calls  # open: the provider was not called
    assert 0 < (paused.value.retry_after or 0) <= 2
    proxy.clear()
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while datetime.now(UTC) < deadline:
        try:
            assert calendar.busy_times(*WEEK) == []  # the half-open probe
            break
        except resilience.CircuitOpen:
            pass
    health = resilience.health(str(account.id))
    assert (health.circuit, health.failures, health.opened_at) == ("closed", 0, None)


def test_refusals_do_not_trip_the_breaker(
    transactional_db: None, radicale_server: Any, proxy: FaultProxy, settings: Any, shared_redis: str
) -> None:
    settings.SLOTWISE_BREAKER_FAIL_MAX = 2
    account = _account(radicale_server, proxy, "breaker-refusals")
    calendar = provider_for(account)
    proxy.fail_until_cleared(429)
    for _ in range(4):
        with pytest.raises(RateLimited):
            calendar.busy_times(*WEEK)
    assert resilience.health(str(account.id)).circuit == "closed"
