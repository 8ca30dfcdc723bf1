"""Checks on list sizes that resolvers share."""

from __future__ import annotations

from booking.domain.errors import InvalidValue


def first_in_range(first: int | None, field: str, most: int) -> int:
    """`first` as sent; null (a variable sent as null overrides the argument's default) is refused too."""
    if first is None or not 1 <= first <= most:
        raise InvalidValue.single(field, f"must be from 1 to {most}")
    return first
