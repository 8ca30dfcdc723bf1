"""Booking emails: a confirmation, a reschedule and a cancellation, to the attendee and to the
host (the organiser), each with the invitation attached (iTIP REQUEST, or CANCEL).

Each email is its own ledger row (handler `email.booking`, target `attendee` or `host`), so it
is sent once per event per recipient. An email describes the booking as its event left it
(SEQUENCE = that version), so a calendar that receives two out of order keeps the later one.
Times in the text are in the recipient's zone; in the invitation, in the host's. Emails to the
attendee count against the cap per address (providers.email_cap).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.names import public_name
from booking.public_events import event_id
from projections.envelope import Envelope
from providers.calendar_sync import BOOKING_EVENTS
from providers.effects import Handler, RetryPolicy
from providers.email import Outbox, composing
from providers.email_cap import ensure_under_cap
from providers.letters import Meeting, invitation, letter
from providers.loads import Loads
from providers.models import SideEffect

RECIPIENTS = ("attendee", "host")


def recipients(event: Envelope, cache: dict[str, Any]) -> Iterable[str]:
    return RECIPIENTS


def policy() -> RetryPolicy:
    """Backoff with full jitter on temporary SMTP failures, for a day by default, then given up."""
    return RetryPolicy(
        base=settings.SLOTWISE_EMAIL_RETRY_BASE_SECONDS,
        cap=settings.SLOTWISE_EMAIL_RETRY_CAP_SECONDS,
        give_up_after=timedelta(seconds=settings.SLOTWISE_EMAIL_RETRY_WINDOW_SECONDS),
    )


HANDLER = Handler(
    name="email.booking",
    task="slotwise.notifications.send_booking_email",
    batch_task="slotwise.notifications.send_booking_emails",
    events=BOOKING_EVENTS,
    targets=recipients,
    policy=policy(),
)


def run(effect: SideEffect, outbox: Outbox, loads: Loads | None = None) -> str:
    """The task's work: one recipient told of one booking event (`loads`: the batch's reads)."""
    loads = loads or Loads(get_app())
    stored = _stored_event(effect, loads)
    if stored is None:
        return "event not found"
    if timezone.now() - stored.timestamp > timedelta(seconds=settings.SLOTWISE_EMAIL_MAX_EVENT_AGE_SECONDS):
        return "event too old to announce"
    booking = loads.booking(effect.aggregate_id, stored.originator_version)
    kind = public_name(type(stored))
    meeting = Meeting.of(booking, loads)
    ensure_under_cap(effect, meeting.party(effect.target).email)
    previous = (stored.from_start, stored.from_end) if kind == "booking.rescheduled" else None
    with composing():
        # both parties' emails about one event carry the same invitation: written once a batch
        calendar = loads.once(("invitation", booking.id, booking.version), lambda: invitation(meeting))
        email = letter(
            meeting,
            effect.target,
            kind,
            local_id=f"{effect.event_id}.{effect.target}",
            previous=previous,
            reason=getattr(stored, "reason", "") or "",
            calendar=calendar,
        )
    outbox.send(email)
    return "sent"


def _stored_event(effect: SideEffect, loads: Loads) -> Any:
    """The booking event this row stands for (its id is derived from the booking and version)."""
    for stored in loads.events(effect.aggregate_id):
        if event_id(effect.aggregate_id, stored.originator_version) == effect.event_id:
            return stored
    return None
