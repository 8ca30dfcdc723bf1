"""Celery tasks: one per kind of side effect, each a thin call into `effects.perform` with its
handler's retry policy. Arguments are ids only; the ledger row says whether the work is due,
held or done, so a redelivered message or a duplicate never acts twice."""

from __future__ import annotations

from booking.celery import app
from providers import calendar_sync
from providers.effects import perform
from providers.webhooks import delivery
from providers.webhooks import handler as webhook_handler


@app.task(name="slotwise.providers.sync_booking_to_calendar", acks_late=True)
def sync_booking_to_calendar(side_effect_id: int) -> str:
    return perform(side_effect_id, calendar_sync.HANDLER.policy, calendar_sync.run)


@app.task(name="slotwise.webhooks.deliver", acks_late=True)
def deliver_webhook(side_effect_id: int) -> str:
    return perform(side_effect_id, webhook_handler.HANDLER.policy, delivery.run)
