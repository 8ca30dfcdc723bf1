import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.bootstrap import get_app
from projections.status import view_statuses


class Command(BaseCommand):
    help = "Per view: position, lag in events and seconds, dead letters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = view_statuses(get_app(), datetime.now(UTC))
        if options["json"]:
            self.stdout.write(json.dumps([asdict(s) for s in statuses]))
            return
        self.stdout.write(
            f"{'view':<28}{'position':>10}{'head':>10}{'lag events':>12}{'lag s':>10}{'dead letters':>14}"
        )
        for s in statuses:
            lag = "-" if s.lag_seconds is None else f"{s.lag_seconds:.1f}"
            self.stdout.write(
                f"{s.name:<28}{s.position:>10}{s.head:>10}{s.lag_events:>12}{lag:>10}{s.dead_letters:>14}"
            )
