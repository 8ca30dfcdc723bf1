"""How an HTTP answer from a calendar provider becomes one of the port's errors.

The adapters share the plain status mapping and the Retry-After parsing; each adds what its
provider says in the body (Google's 403 rateLimitExceeded, an OAuth `invalid_grant`) first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from providers.base import AuthExpired, ProviderError, RateLimited, Rejected, Unavailable


def error_for_status(status: int, message: str, retry_after: float | None = None) -> ProviderError:
    """429 waits, 5xx and 408 are the provider's trouble, 401 wants fresh credentials, any other
    4xx is a refusal that retrying will not change."""
    if status == 429:
        return RateLimited(message, retry_after, status)
    if status >= 500 or status == 408:
        return Unavailable(message, retry_after, status)
    if status == 401:
        return AuthExpired(message, retry_after, status)
    return Rejected(message, retry_after, status)


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, from either of its forms: `120` or an HTTP date."""
    if not header:
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC without saying so
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def json_object(body: bytes) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one (a proxy's HTML page, an empty 502)."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
