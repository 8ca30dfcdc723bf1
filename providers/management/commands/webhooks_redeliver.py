"""Sends dead-lettered webhook deliveries again, under the same event ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.webhooks.redelivery import redeliver


class Command(BaseCommand):
    help = (
        "Reset failed (dead-lettered) webhook deliveries to pending; the running dispatcher sends them again "
        "with the same event ids. Deliveries to deactivated subscriptions are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscription", help="only this subscription (webhook id)")
        parser.add_argument("--event", help="only this event id")
        parser.add_argument("--since", help="only deliveries recorded at or after this RFC 3339 instant (with offset)")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        done = redeliver(
            subscription=_uuid(options["subscription"], "--subscription"),
            event=_uuid(options["event"], "--event"),
            since=_instant(options["since"]),
            dry_run=options["dry_run"],
        )
        verb = "would reset" if options["dry_run"] else "reset"
        self.stdout.write(f"{verb} {done.reset} dead-lettered webhook deliveries to pending")
        if done.skipped_inactive:
            self.stdout.write(f"skipped {done.skipped_inactive} for deactivated subscriptions")


def _uuid(value: str | None, flag: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise CommandError(f"{flag} must be a UUID, not {value!r}") from None


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be an ISO 8601 instant, not {value!r}") from None
    if when.tzinfo is None:
        raise CommandError("--since needs a UTC offset (e.g. 2026-11-27T09:00:00Z)")
    return when
