"""Deletes old finished rows from the side-effect ledger (also run daily by Celery beat)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from providers.effects import prune


class Command(BaseCommand):
    help = "Delete side effects done more than --days ago (and dead letters older than --failed-days, if given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=7.0, help="keep done rows this many days (default 7)")
        parser.add_argument("--failed-days", type=float, default=None, help="also delete dead letters this old")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        failed_days = options["failed_days"]
        gone = prune(
            now - timedelta(days=options["days"]),
            now - timedelta(days=failed_days) if failed_days is not None else None,
        )
        self.stdout.write(f"deleted {gone} side effects")
