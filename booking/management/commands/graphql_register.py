"""Adds GraphQL documents to the allow-list that persisted-only mode runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from graphql import GraphQLError, OperationDefinitionNode, parse, validate

from booking.graphql import persisted
from booking.graphql.schema import schema


class Command(BaseCommand):
    help = (
        "Register each file's GraphQL document (exactly as clients send it) on the allow-list; "
        "prints each document's sha256, the hash clients put in extensions.persistedQuery."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        documents = []
        for path in options["files"]:
            try:
                text = path.read_text()
                document = parse(text)
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            except GraphQLError as error:
                raise CommandError(f"{path}: {error.message}") from None
            invalid = validate(schema.graphql_schema, document)
            if invalid:
                raise CommandError(f"{path}: {invalid[0].message}")
            names = [
                d.name.value if d.name else "(anonymous)"
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            ]
            documents.append((path, text, names))
        for path, text, names in documents:  # all valid: register them together
            digest, created = persisted.register(text, names, str(path))
            state = "registered" if created else "already registered"
            self.stdout.write(f"{digest}  {path}  {','.join(names)}  ({state})")
