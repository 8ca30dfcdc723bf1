"""What the dispatcher records for webhooks: one delivery per event and interested subscription."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings

from projections.envelope import Envelope
from providers.effects import Handler, RetryPolicy, booking_of
from providers.webhooks.models import WebhookSubscription
from providers.webhooks.subscriptions import EVENTS, wants


def subscribers_of(event: Envelope, cache: dict[str, Any]) -> Iterable[str]:
    """The organisation's active subscriptions that want this event type and were made before
    it. Subscriptions are read once per organisation per batch."""
    organisation_id = _organisation_of(event, cache)
    key = f"webhooks/{organisation_id}"
    if key not in cache:
        live = WebhookSubscription.objects.filter(organisation_id=organisation_id, deactivated_at__isnull=True)
        cache[key] = [(str(s.id), list(s.events), s.since_position) for s in live.order_by("created_at", "id")]
    found: list[tuple[str, list[str], int]] = cache[key]
    return [sid for sid, events, since in found if since < event.position and wants(events, event.type)]


def _organisation_of(event: Envelope, cache: dict[str, Any]) -> UUID:
    """booking.created carries it; later events take it from the booking (loaded once per batch)."""
    given = event.data.get("organisationId")
    return UUID(given) if given else booking_of(event, cache).organisation_id


def policy() -> RetryPolicy:
    """Backoff with full jitter, tried for the window (a day by default), then dead-lettered."""
    return RetryPolicy(
        base=settings.SLOTWISE_WEBHOOK_RETRY_BASE_SECONDS,
        cap=settings.SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS,
        give_up_after=timedelta(seconds=settings.SLOTWISE_WEBHOOK_RETRY_WINDOW_SECONDS),
    )


HANDLER = Handler(
    name="webhook.deliver",
    task="slotwise.webhooks.deliver",
    events=EVENTS,
    targets=subscribers_of,
    policy=policy(),
)
