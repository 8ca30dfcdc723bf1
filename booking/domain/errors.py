"""One exception per broken business rule; adapters map each to a stable public code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code = "domain_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """A value that cannot be accepted; carries every offending field at once."""

    code = "validation_error"

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors), errors[0][0] if errors else None)
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> InvalidValue:
        return cls([(field, message)])


class NotFound(DomainError):
    code = "not_found"


class VersionMismatch(DomainError):
    code = "version_mismatch"


class SlugTaken(DomainError):
    code = "slug_taken"


class BookingRefused(DomainError):
    """Base of the reasons a start is not bookable."""


class OutsideAvailability(BookingRefused):
    code = "outside_availability"


class TooShortNotice(BookingRefused):
    code = "too_short_notice"


class BeyondBookingWindow(BookingRefused):
    code = "beyond_booking_window"


class SlotUnavailable(BookingRefused):
    code = "slot_unavailable"


class DailyLimitReached(BookingRefused):
    code = "daily_limit_reached"


class BookingCancelled(DomainError):
    code = "booking_cancelled"


class CancelTokenExpired(DomainError):
    """The cancel token was the booking's own, but the booking has ended."""

    code = "cancel_token_expired"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class ConcurrentUpdate(DomainError):
    """Writers kept colliding on the same aggregates; the client may retry."""

    code = "concurrent_update"
