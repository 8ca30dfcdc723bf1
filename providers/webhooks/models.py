"""Webhook subscriptions and the log of every delivery attempt (ops read it to see why)."""

from uuid import uuid4

from django.db import models


class WebhookSubscription(models.Model):  # type: ignore[misc]  # Django is untyped
    """An organisation's receiver. `secret` is the signing secret, encrypted (providers.secrets).
    Only events recorded after `since_position` (the log's head when it subscribed) are sent."""

    id = models.UUIDField(primary_key=True, default=uuid4)
    organisation_id = models.UUIDField()
    url = models.CharField(max_length=2000)
    events = models.JSONField()  # public event names, or ["*"] for every booking event
    secret = models.TextField()
    since_position = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True)
    deactivation_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "provider_webhook_subscription"
        indexes = [models.Index(fields=["organisation_id", "deactivated_at"], name="webhook_sub_organisation")]

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class WebhookDelivery(models.Model):  # type: ignore[misc]  # Django is untyped
    """One attempt to deliver one event to one subscription, whatever came of it."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    side_effect_id = models.BigIntegerField(null=True)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    attempt = models.IntegerField()
    status_code = models.IntegerField(null=True)  # null: no answer (timeout, refused, ...)
    error = models.TextField(blank=True, default="")
    duration_ms = models.IntegerField()
    at = models.DateTimeField()

    class Meta:
        db_table = "provider_webhook_delivery"
        indexes = [models.Index(fields=["subscription", "event_id"], name="webhook_delivery_event")]
