"""Redelivery: dead-lettered webhook deliveries back to pending, for the dispatcher to send again.

The row keeps its key, so the receiver gets the same event id and can deduplicate. Its retry
window starts again from now: a receiver that is still unsteady gets the full schedule.
Rows whose subscription has been deactivated are left alone (they would only be skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from providers.models import SideEffect
from providers.webhooks.handler import HANDLER
from providers.webhooks.models import WebhookSubscription


@dataclass(frozen=True)
class Redelivery:
    reset: int
    skipped_inactive: int


def dead_letters(
    subscription: UUID | None = None, event: UUID | None = None, since: datetime | None = None
) -> QuerySet[SideEffect]:
    """Failed webhook deliveries, narrowed to a subscription, an event, or recorded since."""
    rows = SideEffect.objects.filter(handler=HANDLER.name, state=SideEffect.FAILED)
    if subscription is not None:
        rows = rows.filter(target=str(subscription))
    if event is not None:
        rows = rows.filter(event_id=event)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows


def redeliver(
    subscription: UUID | None = None,
    event: UUID | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
) -> Redelivery:
    rows = dead_letters(subscription, event, since)
    targets = set(rows.values_list("target", flat=True).distinct())
    active = WebhookSubscription.objects.filter(id__in=targets, deactivated_at__isnull=True)
    live = [str(i) for i in active.values_list("id", flat=True)]
    wanted = rows.filter(target__in=live)
    skipped = rows.exclude(target__in=live).count()
    if dry_run:
        return Redelivery(wanted.count(), skipped)
    reset = wanted.update(
        state=SideEffect.PENDING,
        attempts=0,
        not_before=None,
        enqueued_at=None,
        claimed_until=None,
        done_at=None,
        created_at=timezone.now(),  # the retry window starts again
        last_error="",
    )
    return Redelivery(reset, skipped)
