"""Checks on list sizes that resolvers share."""

from __future__ import annotations

from booking.domain.errors import InvalidValue


def first_in_range(first: int, field: str, most: int) -> int:
    if not 1 <= first <= most:
        raise InvalidValue.single(field, f"must be from 1 to {most}")
    return first
