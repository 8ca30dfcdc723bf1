"""Webhook subscriptions: subscribe an endpoint to booking events, list, unsubscribe.
Organisation key required. Deliveries, signing and retries: docs/webhooks.md."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import Field

from booking import inputs
from booking.rest import replies as r
from booking.rest.presenters import respond
from booking.rest.schemas import Body, PlainText, Url, shown
from providers.webhooks import subscriptions
from providers.webhooks.models import WebhookSubscription

router = Router(tags=["webhooks"])


SHORTEST, LONGEST = subscriptions.SECRET_LENGTH
# subscriptions refuses a secret that starts or ends with whitespace
SECRET_PATTERN = f"^{inputs.SEEN_CHAR}{inputs.LINE_CHAR}{{{SHORTEST - 2},{LONGEST - 2}}}{inputs.SEEN_CHAR}$"


class WebhookIn(Body):
    url: Url = Field(max_length=2000, description="http(s) URL that receives the POSTs")
    events: list[PlainText] = Field(
        max_length=10,
        description="booking.created, booking.rescheduled, booking.cancelled, or * for all",
        json_schema_extra={
            "minItems": 1,
            "items": {"type": "string", "enum": [*subscriptions.EVENTS, subscriptions.ALL]},
        },
    )
    secret: Annotated[PlainText, shown(pattern=SECRET_PATTERN, minLength=SHORTEST, maxLength=LONGEST)] | None = Field(
        default=None, description="16-256 characters; omitted = generated and returned once in this reply"
    )


class Webhook(r.Out):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: str
    deactivated_at: str | None
    deactivation_reason: str | None
    secret: str | None = Field(default=None, description="only in the creation reply, only when generated")


class WebhookReply(r.Out):
    data: Webhook


class WebhookList(r.Out):
    data: list[Webhook]


def webhook_json(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": str(subscription.id),
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "createdAt": subscription.created_at.isoformat(),
        "deactivatedAt": subscription.deactivated_at.isoformat() if subscription.deactivated_at else None,
        "deactivationReason": subscription.deactivation_reason or None,
    }


@router.post("/webhooks", response={201: WebhookReply, **r.problems(400, 401, 413, 422)}, by_alias=True)
def create_webhook(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    made, generated = subscriptions.subscribe(request.auth, payload.url, list(payload.events), payload.secret)
    data = webhook_json(made)
    if generated is not None:
        data["secret"] = generated
    return respond(data, 201)


@router.get("/webhooks", response={200: WebhookList, **r.problems(401)}, by_alias=True)
def list_webhooks(request: HttpRequest) -> HttpResponse:
    return respond([webhook_json(s) for s in subscriptions.subscriptions_of(request.auth)])


@router.delete("/webhooks/{webhook_id}", response={204: None, **r.problems(401, 404)})
def delete_webhook(request: HttpRequest, webhook_id: UUID) -> HttpResponse:
    subscriptions.unsubscribe(request.auth, webhook_id)
    return HttpResponse(status=204)
