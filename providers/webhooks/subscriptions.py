"""Subscribing, listing and unsubscribing: the services behind the webhooks API."""

from __future__ import annotations

import secrets as random_tokens
from uuid import UUID

from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue, NotFound
from providers import secrets
from providers.addresses import url_problem
from providers.text import storable
from providers.webhooks.models import WebhookSubscription

EVENTS = ("booking.created", "booking.rescheduled", "booking.cancelled")
ALL = "*"
SECRET_LENGTH = (16, 256)


def subscribe(
    organisation_id: UUID, url: str, events: list[str], secret: str | None
) -> tuple[WebhookSubscription, str | None]:
    """Records a subscription; returns it with the secret when we generated it (shown once).
    Checks every field first, so bad input stores nothing."""
    wanted = _checked(url, events, secret)
    generated = None if secret is not None else f"whsec_{random_tokens.token_urlsafe(32)}"
    subscription = WebhookSubscription.objects.create(
        organisation_id=organisation_id,
        url=url.strip(),
        events=wanted,
        secret=secrets.seal({"secret": secret if secret is not None else generated}),
        since_position=get_app().recorder.max_notification_id() or 0,  # no backfill of older events
    )
    return subscription, generated


def subscriptions_of(organisation_id: UUID) -> list[WebhookSubscription]:
    return list(WebhookSubscription.objects.filter(organisation_id=organisation_id).order_by("created_at", "id"))


def unsubscribe(organisation_id: UUID, subscription_id: UUID) -> None:
    """Deactivates one of the organisation's live subscriptions; pending deliveries stop."""
    gone = WebhookSubscription.objects.filter(
        id=subscription_id, organisation_id=organisation_id, deactivated_at__isnull=True
    ).update(deactivated_at=timezone.now(), deactivation_reason="deleted through the API")
    if not gone:
        raise NotFound("no such webhook", "webhookId")


def deactivate(subscription_id: UUID | str, reason: str) -> None:
    WebhookSubscription.objects.filter(id=subscription_id, deactivated_at__isnull=True).update(
        deactivated_at=timezone.now(), deactivation_reason=storable(reason, 200)
    )


def secret_of(subscription: WebhookSubscription) -> str:
    return str(secrets.unseal(subscription.secret)["secret"])


def wants(subscription_events: list[str], event_type: str) -> bool:
    return ALL in subscription_events or event_type in subscription_events


def _checked(url: str, events: list[str], secret: str | None) -> list[str]:
    errors: list[tuple[str, str]] = []
    if problem := url_problem(url):
        errors.append(("url", problem))
    if not events:
        errors.append(("events", f"must name at least one of {', '.join(EVENTS)} (or {ALL} for all)"))
    for index, name in enumerate(events):
        if name != ALL and name not in EVENTS:
            errors.append((f"events[{index}]", f"must be one of {', '.join(EVENTS)} or {ALL}"))
    if secret is not None and not SECRET_LENGTH[0] <= len(secret) <= SECRET_LENGTH[1]:
        errors.append(("secret", f"must be {SECRET_LENGTH[0]} to {SECRET_LENGTH[1]} characters (or omit it)"))
    elif secret is not None and secret != secret.strip():
        errors.append(("secret", "must not start or end with whitespace"))
    if errors:
        raise InvalidValue(errors)
    return [ALL] if ALL in events else [name for name in EVENTS if name in events]
