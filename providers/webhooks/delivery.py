"""One delivery attempt: POST the event's public message, signed, to one subscription.

The body is the message the Kafka relay publishes (booking.public_events.envelope, schema
docs/schemas/booking-event.v1.json), built from the stored event, so redelivery sends the same
bytes under the same event id. 2xx is delivered; 410 Gone unsubscribes; anything else (no
answer, a redirect, any other status) is retried by the handler's policy, never sooner than the
receiver's Retry-After. Every attempt is logged (WebhookDelivery). The receiver is reached only
on a public address, checked as the connection is made (providers.addresses).
"""

from __future__ import annotations

import json
import time
from typing import Any

import niquests
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.utils import timezone

from booking.bootstrap import get_app
from booking.public_events import envelope
from providers import addresses
from providers.base import Rejected, Unavailable
from providers.models import SideEffect
from providers.text import storable
from providers.webhooks import signing
from providers.webhooks.answers import failure
from providers.webhooks.models import WebhookDelivery, WebhookSubscription
from providers.webhooks.subscriptions import secret_of

USER_AGENT = "Slotwise-Webhooks/1"
EXCERPT_BYTES = 512


def run(effect: SideEffect) -> str:
    """The task's work: one event to one subscription, once."""
    subscription = WebhookSubscription.objects.filter(id=effect.target, deactivated_at__isnull=True).first()
    if subscription is None:
        return "subscription inactive"
    return send(subscription, message_at(effect.position), effect.id)


def message_at(position: int) -> dict[str, Any]:
    """The public message of the event stored at this log position."""
    app = get_app()
    found = app.recorder.select_notifications(start=position, limit=1)
    if not found or found[0].id != position:
        raise Rejected(f"no event at position {position}")
    return envelope(app.mapper.to_domain_event(found[0]), position)


def body_of(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def headers_for(message: dict[str, Any], body: bytes, secret: str, attempt: int, now: float) -> dict[str, str]:
    """The request headers; the signature is made with this attempt's time."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Slotwise-Event-Id": message["eventId"],
        "X-Slotwise-Event-Type": message["type"],
        "X-Slotwise-Delivery-Attempt": str(attempt),
        "X-Slotwise-Signature": signing.signature_header(secret, int(now), body),
    }


def send(subscription: WebhookSubscription, message: dict[str, Any], side_effect_id: int | None = None) -> str:
    """Makes one attempt and logs it; returns on 2xx, raises a ProviderError otherwise."""
    body = body_of(message)
    attempt = WebhookDelivery.objects.filter(subscription=subscription, event_id=message["eventId"]).count() + 1
    log = _Attempt(subscription, message, attempt, side_effect_id)
    try:
        secret = secret_of(subscription)
    except InvalidToken:
        log.record(None, "the signing secret cannot be decrypted with SLOTWISE_CREDENTIALS_KEY")
        raise Rejected("the signing secret cannot be decrypted; was a credentials key dropped?") from None
    with addresses.session() as session:
        response = _post(session, subscription.url, body, headers_for(message, body, secret, attempt, time.time()), log)
        with response:
            status = response.status_code or 0  # None only for a lazy (multiplexed) answer; not asked for
            if 200 <= status < 300:
                log.record(status, "")
                return f"delivered ({status})"
            excerpt = _excerpt(response)
    log.record(status, f"HTTP {status}: {excerpt}")
    raise failure(subscription, status, response.headers.get("Retry-After"))


def _post(
    session: niquests.Session, url: str, body: bytes, headers: dict[str, str], log: _Attempt
) -> niquests.Response:
    """The receiver's answer; no answer (or a refused address) is logged and raised as a port error."""
    try:
        return session.post(
            url,
            data=body,
            headers=headers,
            timeout=settings.SLOTWISE_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,  # a redirect is an answer, not a delivery; never follow one
            stream=True,
        )
    except niquests.RequestException as error:
        if refused := addresses.refusal_in(error):
            log.record(None, str(refused))
            raise Rejected(str(refused)) from None
        log.record(None, f"{type(error).__name__}: {error}")
        raise Unavailable(f"no answer from the receiver: {type(error).__name__}") from None


def _excerpt(response: niquests.Response) -> str:
    try:
        raw: bytes = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""  # type: ignore[union-attr]
    except (niquests.RequestException, OSError, ValueError):
        return ""
    return raw.decode("utf-8", "replace")


class _Attempt:
    """Times one attempt and writes its line in the delivery log."""

    def __init__(self, subscription: WebhookSubscription, message: dict[str, Any], attempt: int, effect: int | None):
        self.subscription, self.message, self.attempt, self.effect = subscription, message, attempt, effect
        self.at = timezone.now()
        self.started = time.monotonic()

    def record(self, status: int | None, error: str) -> None:
        WebhookDelivery.objects.create(
            subscription=self.subscription,
            side_effect_id=self.effect,
            event_id=self.message["eventId"],
            event_type=self.message["type"],
            attempt=self.attempt,
            status_code=status,
            error=storable(error),  # the receiver's answer, or an error quoting it
            duration_ms=int((time.monotonic() - self.started) * 1000),
            at=self.at,
        )
