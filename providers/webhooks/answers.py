"""What a receiver's answer other than 2xx means for a delivery.

410 Gone: the receiver wants no more; the subscription is deactivated and this delivery fails.
Anything else (3xx, 4xx, 5xx) is retried until the window closes: a misconfigured endpoint
(401, 404 during a deploy) is usually fixed within the day, and dropping its events would be
worse than a few dozen spaced-out attempts. Retry-After is honoured, capped at the retry cap.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from django.conf import settings
from django.utils import timezone

from providers.base import ProviderError, RateLimited, Rejected, Unavailable
from providers.webhooks.models import WebhookSubscription
from providers.webhooks.subscriptions import deactivate


def failure(subscription: WebhookSubscription, status: int, retry_after_header: str | None) -> ProviderError:
    """What a non-2xx answer means for the delivery."""
    if status == 410:
        deactivate(subscription.id, "the receiver answered 410 Gone")
        return Rejected("410 Gone: the receiver unsubscribed; subscription deactivated", status=status)
    wait = retry_after(retry_after_header)
    if status == 429:
        return RateLimited("429 Too Many Requests", retry_after=wait, status=status)
    if status >= 500:
        return Unavailable(f"{status} from the receiver", retry_after=wait, status=status)
    return ProviderError(f"{status} from the receiver; retrying until the window closes", wait, status)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), capped at the retry cap
    so a receiver cannot push a delivery past the window."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), float(settings.SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS))
