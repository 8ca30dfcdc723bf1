"""The schema contract: the committed `schema.graphql`, and which breaking changes are allowed.

`make test` fails when the live schema differs from the committed file, and when a breaking
change (graphql-core's `find_breaking_changes`) between the committed file and the live schema,
or between any two committed versions of the file, is not listed in `breaking-changes.txt`.
`python manage.py graphql_contract --write` rewrites the file once every break is listed.
"""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema, find_breaking_changes, print_schema

from booking.graphql.schema import schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")
ACKNOWLEDGED = Path(__file__).with_name("breaking-changes.txt")


def live() -> str:
    return print_schema(schema.graphql_schema) + "\n"


def committed() -> str:
    return SNAPSHOT.read_text()


def breaking(old: str, new: str) -> list[str]:
    """Each break as `TYPE: description`, e.g. `FIELD_REMOVED: Booking.title was removed.`"""
    changes = find_breaking_changes(build_schema(old), build_schema(new))
    return [f"{change.type.name}: {change.description}" for change in changes]


def acknowledged(text: str | None = None) -> set[str]:
    lines = (text if text is not None else ACKNOWLEDGED.read_text()).splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def unacknowledged(old: str, new: str, allowed: set[str] | None = None) -> list[str]:
    allowed = acknowledged() if allowed is None else allowed
    return [change for change in breaking(old, new) if change not in allowed]
