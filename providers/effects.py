"""Running one side effect: claim its ledger row, do the work, then finish it or schedule the
next attempt by its handler's retry policy.

Retries live in the ledger (`not_before`), not in broker countdowns: a Redis broker hands a
message whose countdown outlasts the visibility timeout to a second worker, and a retry
window of hours (webhooks keep trying for a day) outlasts any sane timeout. The dispatcher
enqueues a row again once it is due. A claim is a lease (`claimed_until`): while one worker
holds it, a duplicate message does nothing; if that worker dies, the lease runs out and the
row is sent again.

Every failure lands in the row: its error, one more attempt, and the next one scheduled or the row
dead-lettered (`failed`). Two outcomes are not failures: a deferral (not yet: scheduled again,
no attempt counted, until the policy's window has passed) and a suppression (a cap said no: the
row is finished as `suppressed`, never retried). A port error (ProviderError) follows the policy;
anything else a handler raises (a bug, input nobody foresaw) is logged with its traceback and
tried again only while the row has had fewer than `max_unexpected` attempts, so it can never be
retried forever.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.booking import Booking
from projections.envelope import Envelope
from providers.base import ProviderError
from providers.models import SideEffect
from providers.text import storable

log = logging.getLogger("slotwise.side_effects")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; never sooner than the provider asked.
    Gives up after `max_attempts` failures or once `give_up_after` has passed since the side
    effect was recorded, whichever comes first; after an unexpected error (not a ProviderError),
    once the row has had `max_unexpected` attempts."""

    base: float
    cap: float
    max_attempts: int | None = None
    give_up_after: timedelta | None = None
    max_unexpected: int = 3

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(attempt, 62))
        return max(random.uniform(0, ceiling), retry_after or 0.0)  # noqa: S311  # nosec B311  # - backoff jitter, not a secret

    def exhausted(self, attempts: int, recorded_at: datetime, now: datetime) -> bool:
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return self.give_up_after is not None and now - recorded_at >= self.give_up_after


@dataclass(frozen=True)
class Handler:
    """What one kind of side effect is: the events it follows, the targets an event gives it
    (one ledger row each), the Celery task that carries it out and how that task retries."""

    name: str
    task: str
    events: tuple[str, ...]
    targets: Callable[[Envelope, dict[str, Any]], Iterable[str]]  # (event, per-batch cache)
    policy: RetryPolicy
    # a task that takes a list of rows, sharing its reads and connections across them; the
    # dispatcher sends due rows to it in chunks (rows of handlers without one go one by one)
    batch_task: str | None = None
    # run once per dispatcher batch with the batch's events this handler follows, before
    # `targets` is asked about each: to read in one query what `targets` would read per event
    prepare: Callable[[Sequence[Envelope], dict[str, Any]], None] | None = None


def booking_of(event: Envelope, cache: dict[str, Any]) -> Booking:
    """The booking an event is about, loaded once per dispatcher batch whichever handlers ask
    (events after booking.created do not carry its host or organisation)."""
    key = f"booking/{event.aggregate_id}"
    if key not in cache:
        cache[key] = get_app().booking(event.aggregate_id)
    found: Booking = cache[key]
    return found


class Deferred(Exception):
    """Not a failure: the work may not run yet (breaker open, rate limit reached). The row is
    scheduled again after `seconds` without counting an attempt, until its policy's window has
    passed: then it is dead-lettered, as a failure would be."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Suppressed(Exception):
    """Not a failure: the work was refused on purpose (a cap said no) and must not be retried.
    The row is finished as `suppressed`, with the reason."""


def claim(effect_id: int) -> SideEffect | None:
    """Takes the row for this worker if it is pending, due and not held by a live claim."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_LEASE_SECONDS)
    taken = (
        SideEffect.objects.filter(id=effect_id, state=SideEffect.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease)
    )
    return SideEffect.objects.get(id=effect_id) if taken else None


def claim_many(effect_ids: Sequence[int]) -> dict[int, SideEffect]:
    """Takes, in one UPDATE and one read, the rows `claim` would take one by one; each under the
    same lease (it is renewed row by row when a long batch gets near its end: `_renewed`)."""
    if not effect_ids:
        return {}
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_LEASE_SECONDS)
    adapt = connection.ops.adapt_datetimefield_value
    ids = sorted(set(effect_ids))
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        # RETURNING: which rows this UPDATE took, and no other worker's (both stores have it)
        cursor.execute(
            f"UPDATE {SideEffect._meta.db_table} SET claimed_until = %s "  # noqa: S608  # nosec B608  # - only placeholders are interpolated
            f"WHERE id IN ({marks}) AND state = %s AND (not_before IS NULL OR not_before <= %s) "
            "AND (claimed_until IS NULL OR claimed_until < %s) RETURNING id",
            [adapt(lease), *ids, SideEffect.PENDING, adapt(now), adapt(now)],
        )
        taken = [row[0] for row in cursor.fetchall()]
    return {effect.id: effect for effect in SideEffect.objects.filter(id__in=taken)} if taken else {}


def _renewed(effect: SideEffect) -> SideEffect | None:
    """The row, its lease lengthened if less than half of it is left; None if the lease ran out
    and another worker has the row since."""
    lease = timedelta(seconds=settings.SLOTWISE_SIDE_EFFECT_LEASE_SECONDS)
    now = timezone.now()
    if effect.claimed_until is None or now < effect.claimed_until - lease / 2:
        return effect
    longer = now + lease
    kept = SideEffect.objects.filter(id=effect.id, state=SideEffect.PENDING, claimed_until=effect.claimed_until)
    if not kept.update(claimed_until=longer):
        return None
    effect.claimed_until = longer
    return effect


def perform(effect_id: int, policy: RetryPolicy, work: Callable[[SideEffect], str]) -> str:
    """Runs `work` once for a claimed row; returns what happened, for logs and tests."""
    effect = claim(effect_id)
    if effect is None:
        return "nothing to do"
    return _carry_out(effect, policy, work)


def perform_many(effect_ids: Sequence[int], policy: RetryPolicy, work: Callable[[SideEffect], str]) -> list[str]:
    """`perform` for several rows, claimed together (two queries, not two a row); each is still
    carried out and finished on its own, so a crash mid-batch repeats at most the row it was in.
    The rows after it stay claimed until the lease runs out (SLOTWISE_SIDE_EFFECT_LEASE_SECONDS):
    the redelivered message finds them held and the dispatcher sends them again after that."""
    claimed = claim_many(effect_ids)
    outcomes = []
    for effect_id in effect_ids:
        effect = claimed.pop(effect_id, None)  # a duplicate id in the list is done once
        effect = _renewed(effect) if effect is not None else None
        outcomes.append("nothing to do" if effect is None else _carry_out(effect, policy, work))
    return outcomes


def _carry_out(effect: SideEffect, policy: RetryPolicy, work: Callable[[SideEffect], str]) -> str:
    try:
        outcome = work(effect)
    except Deferred as wait:
        return _deferred(effect, policy, wait)
    except Suppressed as held:
        finish(effect, SideEffect.SUPPRESSED, str(held))
        return "suppressed"
    except ProviderError as error:
        return _failed(effect, policy, repr(error), error.retryable, error.retry_after)
    except Exception as error:  # a bug, or input no handler foresaw: counted and bounded, never retried forever
        log.exception("side effect raised unexpectedly", extra={"sideEffect": effect.id, "handler": effect.handler})
        again = effect.attempts + 1 < policy.max_unexpected
        return _failed(effect, policy, f"{type(error).__name__}: {error}", again, None)
    finish(effect, SideEffect.DONE, "")
    return outcome


def _deferred(effect: SideEffect, policy: RetryPolicy, wait: Deferred) -> str:
    """Schedules the row again, no attempt counted, while the policy has not given up on it: a
    deferral that never ends (a store that stays down) must not deliver days late."""
    if policy.exhausted(effect.attempts, effect.created_at, timezone.now()):
        finish(effect, SideEffect.FAILED, f"deferred past its retry window: {wait}")
        log.error("side effect failed", extra={"sideEffect": effect.id, "handler": effect.handler})
        return "failed"
    _reschedule(effect, wait.seconds, counted=False, error=str(wait))
    return f"deferred: {wait}"


def _failed(effect: SideEffect, policy: RetryPolicy, note: str, retryable: bool, retry_after: float | None) -> str:
    """Counts the failed attempt: the next one scheduled by the policy, or the row dead-lettered."""
    attempts = effect.attempts + 1
    if not retryable or policy.exhausted(attempts, effect.created_at, timezone.now()):
        finish(effect, SideEffect.FAILED, note, attempts=attempts)
        log.error("side effect failed", extra={"sideEffect": effect.id, "handler": effect.handler})
        return "failed"
    _reschedule(effect, policy.delay(attempts, retry_after), counted=True, error=note)
    return "retry scheduled"


def finish(effect: SideEffect, state: str, note: str, attempts: int | None = None) -> None:
    changes: dict[str, Any] = {"state": state, "done_at": timezone.now(), "last_error": storable(note)}
    if attempts is not None:
        changes["attempts"] = attempts
    SideEffect.objects.filter(id=effect.id, state=SideEffect.PENDING).update(claimed_until=None, **changes)


def _reschedule(effect: SideEffect, seconds: float, counted: bool, error: str) -> None:
    SideEffect.objects.filter(id=effect.id, state=SideEffect.PENDING).update(
        attempts=F("attempts") + (1 if counted else 0),
        not_before=timezone.now() + timedelta(seconds=seconds),
        claimed_until=None,
        enqueued_at=None,
        last_error=storable(error),
    )


def prune(done_before: datetime, failed_before: datetime | None = None) -> int:
    """Deletes finished ledger rows: done and suppressed ones finished before `done_before`, and
    failed ones (the dead letters, which ops may still want to redeliver) only when
    `failed_before` is given.

    Safe while the dispatcher runs: it only records events after its position, so a pruned
    row's event is never read again (unless ops reset the position, which re-sends on purpose)."""
    finished = (SideEffect.DONE, SideEffect.SUPPRESSED)
    gone: int = SideEffect.objects.filter(state__in=finished, done_at__lt=done_before).delete()[0]
    if failed_before is not None:
        gone += SideEffect.objects.filter(state=SideEffect.FAILED, done_at__lt=failed_before).delete()[0]
    return gone
