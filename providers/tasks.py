"""Celery tasks: one per kind of side effect, each a thin call into `effects.perform` with its
handler's retry policy. Arguments are ids only; the ledger row says whether the work is due,
held or done, so a redelivered message or a duplicate never acts twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from booking.celery import app
from providers import calendar_sync, gcra, notifications, reminders
from providers.effects import perform, perform_many, prune
from providers.email import Outbox, unflushed_commits
from providers.loads import Loads
from providers.webhooks import delivery
from providers.webhooks import handler as webhook_handler


@app.task(name="slotwise.providers.sync_booking_to_calendar", acks_late=True)
def sync_booking_to_calendar(side_effect_id: int) -> str:
    return perform(side_effect_id, calendar_sync.HANDLER.policy, calendar_sync.run)


@app.task(name="slotwise.webhooks.deliver", acks_late=True)
def deliver_webhook(side_effect_id: int) -> str:
    return perform(side_effect_id, webhook_handler.HANDLER.policy, delivery.run)


@app.task(name="slotwise.notifications.send_booking_email", acks_late=True)
def send_booking_email(side_effect_id: int) -> str:
    with unflushed_commits(), Outbox() as outbox:  # closed after the row is finished: see providers.email
        return perform(side_effect_id, notifications.HANDLER.policy, lambda effect: notifications.run(effect, outbox))


@app.task(name="slotwise.notifications.send_booking_emails", acks_late=True)
def send_booking_emails(side_effect_ids: list[int]) -> list[str]:
    """Several rows at once: one claim, one SMTP connection and one read of each booking, host
    and event type for them all; each row is still carried out and finished on its own."""
    with unflushed_commits(), Outbox() as outbox:
        loads = Loads()
        policy = notifications.HANDLER.policy
        return perform_many(side_effect_ids, policy, lambda effect: notifications.run(effect, outbox, loads))


@app.task(name="slotwise.notifications.send_due_reminders", acks_late=True)
def send_due_reminders() -> int:
    """The scheduler's tick (CELERY_BEAT_SCHEDULE): due reminders recorded and enqueued."""
    return reminders.tick()


@app.task(name="slotwise.notifications.send_reminder", acks_late=True)
def send_reminder(side_effect_id: int) -> str:
    """One reminder, by its ledger row (recorded by the tick, keyed by the reminder's id)."""
    with unflushed_commits(), Outbox() as outbox:
        return perform(side_effect_id, reminders.HANDLER.policy, lambda effect: reminders.run(effect, outbox))


@app.task(name="slotwise.providers.prune_side_effects", acks_late=True)
def prune_side_effects() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): finished ledger rows older than SLOTWISE_SIDE_EFFECT_KEEP_DAYS go."""
    return prune(timezone.now() - timedelta(days=settings.SLOTWISE_SIDE_EFFECT_KEEP_DAYS))


@app.task(name="slotwise.providers.prune_rate_budgets", acks_late=True)
def prune_rate_budgets() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): the database's full rate budgets go (providers.gcra.prune)."""
    return gcra.prune()
