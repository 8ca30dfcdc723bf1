"""Celery tasks: a declared retry policy around one call each. Arguments are ids only; the
ledger (SideEffect) says whether the work is already done, so a redelivered message or a
retried task never acts twice."""

from __future__ import annotations

import logging
import random

from celery import Task
from django.db.models import F
from django.utils import timezone

from booking.celery import app
from providers import calendar_sync
from providers.base import ProviderError
from providers.models import CalendarAccount, SideEffect

log = logging.getLogger("slotwise.tasks")

RETRY_BASE, RETRY_CAP, MAX_ATTEMPTS = 2.0, 600.0, 15  # about 2 hours of retries at the cap


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped; never sooner than the provider asked."""
    delay = random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**attempt))
    return max(delay, retry_after or 0.0)


@app.task(name="slotwise.providers.sync_booking_to_calendar", bind=True, acks_late=True, max_retries=None)
def sync_booking_to_calendar(self: Task, side_effect_id: int) -> str:
    effect = SideEffect.objects.filter(id=side_effect_id).first()
    if effect is None or effect.state != SideEffect.PENDING:
        return "nothing to do"
    account = CalendarAccount.objects.filter(id=effect.target, disconnected_at__isnull=True).first()
    if account is None:
        _finish(effect, SideEffect.DONE, "calendar disconnected")
        return "calendar disconnected"
    try:
        done = calendar_sync.sync_booking(account, effect.aggregate_id)
    except ProviderError as error:
        return _retry_or_fail(self, effect, error)
    _finish(effect, SideEffect.DONE, "")
    return done


def _retry_or_fail(task: Task, effect: SideEffect, error: ProviderError) -> str:
    SideEffect.objects.filter(id=effect.id).update(attempts=F("attempts") + 1, last_error=repr(error)[:2000])
    attempt = effect.attempts + 1
    if not error.retryable or attempt >= MAX_ATTEMPTS:
        _finish(effect, SideEffect.FAILED, repr(error))
        log.error("side effect failed", extra={"sideEffect": effect.id, "error": repr(error)})
        return "failed"
    raise task.retry(countdown=backoff(attempt, error.retry_after), exc=error)


def _finish(effect: SideEffect, state: str, note: str) -> None:
    SideEffect.objects.filter(id=effect.id, state=SideEffect.PENDING).update(
        state=state, done_at=timezone.now(), last_error=note[:2000]
    )
