"""Checks (default) or rewrites (--write) booking/graphql/schema.graphql, the schema contract."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.graphql import contract


class Command(BaseCommand):
    help = "Compare the live GraphQL schema with the committed contract; --write to update it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="rewrite schema.graphql (breaks must be listed)")

    def handle(self, *args: Any, **options: Any) -> None:
        old, new = contract.committed(), contract.live()
        unlisted = contract.unacknowledged(old, new)
        for change in contract.breaking(old, new):
            mark = "UNLISTED " if change in unlisted else "listed   "
            self.stdout.write(f"{mark}{change}")
        if unlisted:
            raise CommandError(
                f"{len(unlisted)} breaking change(s) not listed in {contract.ACKNOWLEDGED.name}; "
                "add the lines above (with a comment saying why) to make them on purpose"
            )
        if old == new:
            self.stdout.write("schema.graphql matches the live schema")
        elif options["write"]:
            contract.SNAPSHOT.write_text(new)
            self.stdout.write(f"wrote {contract.SNAPSHOT}")
        else:
            raise CommandError("the live schema differs from schema.graphql: run with --write to update it")
