"""Calls to calendar providers: the shared Redis, rate limits, circuit breakers, busy-time cache.

With SLOTWISE_REDIS_URL set, limits, breaker states and busy times are shared by every process
(API workers and Celery workers). Without it (the embedded default) each process keeps its own.
"""

import os

SLOTWISE_REDIS_URL = os.environ.get("SLOTWISE_REDIS_URL", "")
SLOTWISE_REDIS_PREFIX = os.environ.get("SLOTWISE_REDIS_PREFIX", "slotwise")


def _per_minute(provider: str, default: int) -> float:
    return float(os.environ.get(f"SLOTWISE_{provider.upper()}_CALLS_PER_MINUTE", str(default)))


# Calls per minute per connected account, kept under each provider's published quota:
# Google 600/min per user, Microsoft 10,000 per 10 min per mailbox; a CalDAV server has none
# published, so a polite default. A short burst is allowed on top.
SLOTWISE_PROVIDER_CALLS_PER_MINUTE = {
    "google": _per_minute("google", 300),
    "microsoft": _per_minute("microsoft", 600),
    "caldav": _per_minute("caldav", 600),
}
SLOTWISE_PROVIDER_BURST = int(os.environ.get("SLOTWISE_PROVIDER_BURST", "10"))

# A breaker per account opens after this many consecutive failures (5xx, timeouts) and lets a
# probe through after the reset timeout.
SLOTWISE_BREAKER_FAIL_MAX = int(os.environ.get("SLOTWISE_BREAKER_FAIL_MAX", "5"))
SLOTWISE_BREAKER_RESET_SECONDS = float(os.environ.get("SLOTWISE_BREAKER_RESET_SECONDS", "60"))

# Calendar sync retries: exponential backoff with full jitter from this base, capped.
SLOTWISE_CALENDAR_RETRY_BASE_SECONDS = float(os.environ.get("SLOTWISE_CALENDAR_RETRY_BASE_SECONDS", "2"))
SLOTWISE_CALENDAR_RETRY_CAP_SECONDS = float(os.environ.get("SLOTWISE_CALENDAR_RETRY_CAP_SECONDS", "600"))
SLOTWISE_CALENDAR_MAX_ATTEMPTS = int(os.environ.get("SLOTWISE_CALENDAR_MAX_ATTEMPTS", "15"))

# Busy times: fresh for this long, then refetched; served as "stale" up to the second figure
# when the provider cannot answer.
SLOTWISE_BUSY_FRESH_SECONDS = int(os.environ.get("SLOTWISE_BUSY_FRESH_SECONDS", "60"))
SLOTWISE_BUSY_STALE_SECONDS = int(os.environ.get("SLOTWISE_BUSY_STALE_SECONDS", "3600"))
# A fetch on the request path gives up after this long; the answer then says so.
SLOTWISE_BUSY_TIMEOUT_SECONDS = float(os.environ.get("SLOTWISE_BUSY_TIMEOUT_SECONDS", "3"))
