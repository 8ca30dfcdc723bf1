"""The cap on emails to one attendee address: anyone may book with any address, so without it a
script could bury a stranger's inbox in confirmations and reminders.

SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR emails may go to one address at once, then one more every
60/N minutes (the GCRA of providers.gcra, shared by every worker). An email over the cap is not
sent: the task finishes its ledger row as done with a note starting `suppressed:`, which the
ledger metrics count (slotwise_side_effects_suppressed). It is never retried, and never lost
without a trace. The host's own emails are not capped: the host asked for them.

An email takes from the budget once, on its first attempt: retries after a mail server failure
do not spend the address's budget again.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from providers.effects import Deferred, finish
from providers.gcra import Rate
from providers.models import SideEffect
from providers.resilience import shared_budget

SUPPRESSED = "suppressed:"


def over_cap(effect: SideEffect, address: str) -> bool:
    """Whether the email of this ledger row would go over its address's cap. When it would, the
    row is finished here, done with a note; the caller then sends nothing."""
    per_hour = settings.SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR
    if effect.target != "attendee" or per_hour is None or effect.attempts > 0:
        return False
    try:
        wait = shared_budget(_budget_name(address), Rate(per_hour, 3600.0))
    except (RedisError, DatabaseError):
        raise Deferred("the email cap's store did not answer", 30.0) from None
    if wait <= 0:
        return False
    note = f"{SUPPRESSED} over the cap of {per_hour} emails an hour to this address; not sent"
    # done, not failed: nothing is wrong that a retry or ops could fix; perform's own finish then
    # finds the row no longer pending and leaves the note
    finish(effect, SideEffect.DONE, note)
    return True


def _budget_name(address: str) -> str:
    """Addresses are compared without case and kept only as a digest."""
    return "email:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()
