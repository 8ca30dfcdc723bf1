"""The outside world's state: connected calendars and the ledger of side effects.

Plain ORM rows, not events: credentials and delivery bookkeeping are not booking facts.
"""

from uuid import uuid4

from django.db import models


class CalendarAccount(models.Model):
    """A host's external calendar. `secret` holds the credentials, encrypted (providers.secrets)."""

    id = models.UUIDField(primary_key=True, default=uuid4)
    organisation_id = models.UUIDField()
    host_id = models.UUIDField()
    provider = models.CharField(max_length=16)  # caldav | google | microsoft
    url = models.CharField(max_length=500)
    username = models.CharField(max_length=254, blank=True, default="")
    secret = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True)
    auth_failed_at = models.DateTimeField(null=True)  # the provider refused our refresh token: reconnect

    class Meta:
        db_table = "provider_calendar_account"
        indexes = [models.Index(fields=["host_id"], name="calendar_account_host")]


class OAuthConsent(models.Model):
    """A Google or Microsoft consent in progress, from `connect` until its callback (providers.consents).

    It keeps here what must never travel through the browser: the PKCE verifier, and a hash of the
    cookie of the one browser that opened the consent link. A callback uses it up (deleted)."""

    id = models.CharField(primary_key=True, max_length=64)  # the consent nonce in the link we hand out
    organisation_id = models.UUIDField()
    host_id = models.UUIDField()
    provider = models.CharField(max_length=16)  # google | microsoft
    return_to = models.TextField(null=True)
    code_verifier = models.CharField(max_length=128)
    browser = models.CharField(max_length=64, blank=True, default="")  # sha256 of its cookie; "" until opened
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "provider_oauth_consent"
        indexes = [models.Index(fields=["expires_at"], name="oauth_consent_expiry")]  # pruning


class SideEffect(models.Model):
    """One thing an event asks of the outside world (e.g. put booking X on calendar Y).

    Keyed by event id + handler + target, so the dispatcher records it once however often it
    reads the event, and a task that finds it done does nothing: redelivered messages and
    retried tasks never act twice. Finished, it is `done`, `failed` (a dead letter) or
    `suppressed` (not acted on, on purpose: an email over its address's cap)."""

    PENDING, DONE, FAILED, SUPPRESSED = "pending", "done", "failed", "suppressed"

    key = models.CharField(max_length=200, unique=True)
    handler = models.CharField(max_length=64)
    target = models.CharField(max_length=64)
    event_id = models.UUIDField()
    aggregate_id = models.UUIDField()
    position = models.BigIntegerField()
    state = models.CharField(max_length=16, default=PENDING)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True)
    not_before = models.DateTimeField(null=True)  # the next attempt is due then (retry policy)
    claimed_until = models.DateTimeField(null=True)  # a worker holds it until then (lease)
    done_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "provider_side_effect"
        indexes = [
            models.Index(fields=["state", "enqueued_at"], name="side_effect_pending"),
            models.Index(fields=["state", "done_at"], name="side_effect_finished"),  # pruning
        ]


class RateBudget(models.Model):
    """One rate budget (providers.gcra) when there is no Redis: its theoretical arrival time, in
    Unix seconds. A budget whose time has passed is full, as if it had no row."""

    name = models.CharField(max_length=200, primary_key=True)
    tat = models.FloatField()

    class Meta:
        db_table = "provider_rate_budget"
        indexes = [models.Index(fields=["tat"], name="rate_budget_tat")]  # pruning full budgets


from providers.webhooks.models import WebhookDelivery, WebhookSubscription  # noqa: E402,F401
