"""The cap on emails to one attendee address: anyone may book with any address, so without it a
script could bury a stranger's inbox in confirmations and reminders.

SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR emails may go to one address at once, then one more every
60/N minutes (the GCRA of providers.gcra, shared by every worker). An email over the cap is not
sent: its ledger row is finished as `suppressed`, with a note saying why, and the ledger gauge
counts it (slotwise_side_effects{state="suppressed"}). It is never retried, and never lost
without a trace. The host's own emails are not capped: the host asked for them.

An email takes from the budget once, on its first attempt: retries after a mail server failure
do not spend the address's budget again.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from providers.effects import Deferred, Suppressed
from providers.gcra import Rate
from providers.models import SideEffect
from providers.resilience import shared_budget


def ensure_under_cap(effect: SideEffect, address: str) -> None:
    """Raises Suppressed when the email of this ledger row would go over its address's cap (it is
    then not sent, and never retried), Deferred when the cap's store does not answer."""
    per_hour = settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR
    if effect.target != "attendee" or per_hour is None or effect.attempts > 0:
        return
    try:
        wait = shared_budget(_budget_name(address), Rate(per_hour, 3600.0))
    except (RedisError, DatabaseError):
        raise Deferred("the email cap's store did not answer", 30.0) from None
    if wait > 0:
        raise Suppressed(f"over the cap of {per_hour} emails an hour to this address; not sent")


def _budget_name(address: str) -> str:
    """Addresses are compared without case and kept only as a digest."""
    return "email:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()
