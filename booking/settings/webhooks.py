"""Webhooks: delivery timeouts and the retry window."""

import os  # noqa: F401
