"""Outbound calls to URLs that users choose (webhook receivers, CalDAV calendars): which addresses they may reach."""

import os

# Loopback, private, link-local and other non-public addresses (the cloud metadata service among them)
# are refused unless this is set (development, tests): a user must not make our workers call into our
# own network. SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS, its older name, is still read when this one is unset.
_allow = os.environ.get("SLOTWISE_ALLOW_PRIVATE_URLS", os.environ.get("SLOTWISE_WEBHOOK_ALLOW_PRIVATE_URLS", ""))
SLOTWISE_ALLOW_PRIVATE_URLS = _allow.strip().lower() in ("1", "true", "yes", "on")
