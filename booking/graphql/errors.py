"""Errors as GraphQL clients see them: every one carries a stable `extensions.code`.

Mutations return refusals as typed `errors { field code message }` lists (the REST problem
codes); queries and request-level refusals are GraphQL errors with the same codes.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from booking.domain.errors import DomainError, InvalidValue
from booking.public_events import camel


def field_name(path: str | None) -> str | None:
    """`attendee.time_zone` -> `attendee.timeZone`; `Idempotency-Key` -> `idempotencyKey`."""
    if path is None:
        return None
    if path == "Idempotency-Key":
        return "idempotencyKey"
    return camel(path)


def refusal(code: str, message: str, field: str | None = None, **extra: Any) -> GraphQLError:
    extensions: dict[str, Any] = {"code": code, **extra}
    if field is not None:
        extensions["field"] = field
    return GraphQLError(message, extensions=extensions)


def from_domain(error: DomainError) -> GraphQLError:
    if isinstance(error, InvalidValue):
        fields = [{"field": field_name(f), "message": m} for f, m in error.errors]
        return refusal("validation_error", error.message, field_name(error.field), errors=fields)
    return refusal(error.code, error.message, field_name(error.field))


def typed(error: DomainError) -> list[dict[str, str | None]]:
    """The payload's `errors` list for a refused mutation."""
    if isinstance(error, InvalidValue):
        return [{"field": field_name(f), "code": error.code, "message": m} for f, m in error.errors]
    return [{"field": field_name(error.field), "code": error.code, "message": error.message}]
