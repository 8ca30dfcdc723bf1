from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.api_keys import revoke_api_key


class Command(BaseCommand):
    help = "Revoke the API key with the given prefix (the part after sw_)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if not revoke_api_key(options["prefix"]):
            raise CommandError(f"no live API key with prefix {options['prefix']!r}")
        self.stdout.write(f"revoked {options['prefix']}")
