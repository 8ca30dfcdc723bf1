"""Every kind of side effect the dispatcher records, by name (the ledger's `handler`)."""

from __future__ import annotations

from providers import calendar_sync, notifications, reminders
from providers.effects import Handler
from providers.webhooks import handler as webhook_handler

HANDLERS: dict[str, Handler] = {
    handler.name: handler
    for handler in (calendar_sync.HANDLER, webhook_handler.HANDLER, notifications.HANDLER, reminders.HANDLER)
}
