from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.api_keys import create_api_key
from booking.domain.errors import InvalidValue


class Command(BaseCommand):
    help = "Create an API key for an organisation (created if needed); the key is the last line printed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="organisation slug, e.g. acme")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = create_api_key(options["organisation"])
        except InvalidValue as e:
            raise CommandError(e.message) from e
        self.stdout.write(f"API key for {options['organisation']} (shown once; store it now):")
        self.stdout.write(key)
