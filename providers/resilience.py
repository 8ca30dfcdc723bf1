"""Staying under provider quotas and away from providers that are down, per connected account.

- A rate budget per account (the GCRA of providers.gcra: its provider's calls per minute, with
  a small burst) keeps each account under its provider's published quota. In Redis the
  decision is one script, timed by Redis's own clock, so every process shares one budget;
  without Redis each process keeps its own.
- A circuit breaker (pybreaker) per account opens after consecutive failures that mean the
  provider is unwell (5xx, timeouts), so calls stop; after the reset timeout one probe goes
  through, and a success closes it. Its state lives in Redis, so the API can show it and every
  worker obeys it. Refusals (4xx), rate limits and expired tokens do not count.

Without SLOTWISE_REDIS_URL (the embedded default) both are kept per process.

Every budget is taken through `shared_budget`: Redis when configured, else its fallback. Budgets
that must hold across processes even then (the public request limits, the email cap) fall back
to the database, the account budgets to the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import pybreaker
from django.conf import settings
from redis import Redis

from providers import gcra
from providers.base import ProviderError, Unavailable
from providers.gcra import Rate

T = TypeVar("T")


@lru_cache(maxsize=4)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis() -> Redis | None:
    """The shared Redis, when there is one."""
    return _redis(settings.SLOTWISE_REDIS_URL) if settings.SLOTWISE_REDIS_URL else None


def key(*parts: str) -> str:
    return ":".join((settings.SLOTWISE_REDIS_PREFIX, *parts))


class CircuitOpen(ProviderError):
    """The account's breaker is open: no call was made. Try again after `retry_after`."""


Fallback = Callable[[str, float, float], float]  # (name, interval, tolerance) -> seconds to wait
_IN_PROCESS = gcra.InProcess()


def shared_budget(name: str, rate: Rate, n: int = 1, fallback: Fallback = gcra.in_database) -> float:
    """Takes `n` from a budget in Redis when configured, else in `fallback` (the database unless
    told); answers 0, or the seconds until they would fit, taking nothing. Raises RedisError
    when Redis does not answer, DatabaseError when the database does not."""
    if n > rate.count:
        return rate.seconds  # more than the whole budget at once: it never fits
    interval, tolerance = rate.cell(n)
    shared = redis()
    if shared is not None:
        return gcra.in_redis(shared, key("budget", name), interval, tolerance)
    return fallback(name, interval, tolerance)


def account_rate(provider: str) -> Rate:
    """A connected account's budget: SLOTWISE_PROVIDER_BURST calls at once on top of one, then
    its provider's calls per minute."""
    per_minute = settings.SLOTWISE_PROVIDER_CALLS_PER_MINUTE.get(provider, 600.0)
    count = settings.SLOTWISE_PROVIDER_BURST + 1
    return Rate(count, count * 60.0 / per_minute)


def account_budget(account_id: str, provider: str) -> float:
    """Takes one call from an account's budget; answers the seconds to wait when it is spent.
    Without Redis the budget is this process's own, as the breaker is."""
    return shared_budget(f"account:{account_id}", account_rate(provider), fallback=_IN_PROCESS.take)


def _healthy_refusal(error: BaseException) -> bool:
    """Errors that say nothing about the provider's health do not trip the breaker."""
    return not isinstance(error, Unavailable)


_breakers: dict[tuple[str, str, str], pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker(account_id: str) -> pybreaker.CircuitBreaker:
    """The account's breaker; one instance per process, its state shared through Redis."""
    where = (settings.SLOTWISE_REDIS_URL, settings.SLOTWISE_REDIS_PREFIX, account_id)
    with _breakers_lock:
        found = _breakers.get(where)
        if found is None:
            shared = redis()
            storage = (
                pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, shared, namespace=key("breaker", account_id))
                if shared is not None
                else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            )
            found = pybreaker.CircuitBreaker(
                fail_max=settings.SLOTWISE_BREAKER_FAIL_MAX,
                reset_timeout=settings.SLOTWISE_BREAKER_RESET_SECONDS,
                exclude=[_healthy_refusal],
                state_storage=storage,
                name=account_id,
                throw_new_error_on_trip=False,  # the caller sees the provider's own error
            )
            _breakers[where] = found
        return found


def ensure_not_open(account_id: str) -> None:
    """Raises CircuitOpen while the account's breaker is open and not yet due for a probe, so
    a caller can stop before spending anything (such as its rate budget) on a call."""
    guard = breaker(account_id)
    if guard.current_state == pybreaker.STATE_OPEN:
        left = _remaining(guard, floor=0.0)
        if left > 0:
            raise CircuitOpen("circuit open: calls to this calendar are paused", retry_after=left)


def guarded(account_id: str, call: Callable[[], T]) -> T:
    """Runs one call to an account's provider through its breaker."""
    guard = breaker(account_id)
    try:
        return guard.call(call)
    except pybreaker.CircuitBreakerError:
        raise CircuitOpen("circuit open: calls to this calendar are paused", retry_after=_remaining(guard)) from None


def _remaining(guard: pybreaker.CircuitBreaker, floor: float = 0.5) -> float:
    opened = guard._state_storage.opened_at  # pybreaker exposes no getter
    if opened is None:
        return guard.reset_timeout
    left = opened + timedelta(seconds=guard.reset_timeout) - datetime.now(opened.tzinfo)
    return max(left.total_seconds(), floor)


@dataclass(frozen=True)
class Health:
    circuit: str  # closed | open | half-open
    failures: int
    opened_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "consecutiveFailures": self.failures,
            "openedAt": self.opened_at.isoformat() if self.opened_at else None,
        }


def health(account_id: str) -> Health:
    guard = breaker(account_id)
    storage = guard._state_storage
    state = guard.current_state
    return Health(state, guard.fail_counter, storage.opened_at if state != pybreaker.STATE_CLOSED else None)
