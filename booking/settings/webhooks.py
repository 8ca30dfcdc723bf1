"""Webhooks: delivery timeouts, the retry schedule and window. Which receivers may be called: outbound.

Tests shrink the retry numbers through the environment (seconds, fractions allowed).
"""

import os

# One request to a receiver: connecting and each wait for data, in seconds.
SLOTWISE_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("SLOTWISE_WEBHOOK_TIMEOUT_SECONDS", "10"))
# Exponential backoff with full jitter: attempt n waits up to min(cap, base * 2**n) seconds.
SLOTWISE_WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("SLOTWISE_WEBHOOK_RETRY_BASE_SECONDS", "30"))
SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS = float(os.environ.get("SLOTWISE_WEBHOOK_RETRY_CAP_SECONDS", "3600"))
# A delivery still failing this long after its event was recorded is dead-lettered.
SLOTWISE_WEBHOOK_RETRY_WINDOW_SECONDS = float(os.environ.get("SLOTWISE_WEBHOOK_RETRY_WINDOW_SECONDS", "86400"))
