"""What a booking email says: subject and plain text in the recipient's zone, and the invitation.

Pure composition from the booking's state; sending is providers.email's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from zoneinfo import ZoneInfo

from booking.bootstrap import get_app
from booking.domain.booking import CANCELLED, Booking
from booking.public_events import event_id
from providers.calendar_sync import calendar_event
from providers.email import Invitation, message_id
from providers.ical import event_calendar
from providers.loads import Loads

# (kind, recipient) -> (subject label, opening line)
OPENINGS = {
    ("booking.created", "attendee"): ("Confirmed", "Your booking is confirmed."),
    ("booking.created", "host"): ("New booking", "You have a new booking."),
    ("booking.rescheduled", "attendee"): ("Rescheduled", "Your booking has moved to a new time."),
    ("booking.rescheduled", "host"): ("Rescheduled", "A booking with you has moved to a new time."),
    ("booking.cancelled", "attendee"): ("Cancelled", "Your booking is cancelled."),
    ("booking.cancelled", "host"): ("Cancelled", "A booking with you is cancelled."),
    ("reminder", "attendee"): ("Reminder", "A reminder: your booking starts in {lead}."),
}


@dataclass(frozen=True)
class Party:
    name: str
    email: str
    time_zone: str

    @property
    def address(self) -> str:
        return formataddr((self.name, self.email))


@dataclass(frozen=True)
class Meeting:
    """A booking with the people in it, as an email needs them."""

    booking: Booking
    title: str
    host: Party
    attendee: Party

    @classmethod
    def of(cls, booking: Booking, loads: Loads | None = None) -> Meeting:
        """`loads`: a batch's reads, shared by the side effects in it (providers.loads)."""
        loads = loads or Loads(get_app())
        host = loads.host(booking.organisation_id, booking.host_id)
        attendee = booking.attendee
        return cls(
            booking=booking,
            title=str(loads.event_type(booking.event_type_id).settings["title"]),
            host=Party(host.name, host.email, host.time_zone),
            attendee=Party(attendee["name"], attendee["email"], attendee["timeZone"]),
        )

    def party(self, role: str) -> Party:
        return self.host if role == "host" else self.attendee

    def other(self, role: str) -> Party:
        return self.attendee if role == "host" else self.host


def when(start: datetime, end: datetime, zone_name: str) -> str:
    """`Monday 30 March 2026, 09:00 to 09:30 (Europe/Berlin)`, in that zone."""
    zone = ZoneInfo(zone_name)
    s, e = start.astimezone(zone), end.astimezone(zone)
    ends = f"{e:%H:%M}" if e.date() == s.date() else f"{e:%A} {e.day} {e:%B %Y}, {e:%H:%M}"
    return f"{s:%A} {s.day} {s:%B %Y}, {s:%H:%M} to {ends} ({zone_name})"


def lead_text(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (mins, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 minutes"


def letter(
    meeting: Meeting,
    role: str,
    kind: str,
    *,
    local_id: str,
    previous: tuple[datetime, datetime] | None = None,
    reason: str = "",
    lead: int = 0,
    calendar: bytes | None = None,
) -> Invitation:
    """The email `kind` (a booking event's name, or "reminder") sends to `role`. `calendar`: the
    meeting's invitation (`invitation`) when the caller made it already for another recipient."""
    booking, me, other = meeting.booking, meeting.party(role), meeting.other(role)
    label, opening = OPENINGS[(kind, role)]
    start = booking.start.astimezone(ZoneInfo(me.time_zone))
    lines = [
        f"Hello {me.name},",
        "",
        opening.format(lead=lead_text(lead)),
        "",
        f"What:   {meeting.title}",
        f"When:   {when(booking.start, booking.end, me.time_zone)}",
    ]
    if previous is not None:
        lines.append(f"Was:    {when(*previous, me.time_zone)}")
    lines.append(f"With:   {other.address}")
    if reason:
        lines.append(f"Reason: {reason}")
    cancelled = booking.status == CANCELLED
    action = "remove it from" if cancelled else "add it to or update it in"
    lines += ["", f"The invitation is attached (invite.ics): open it to {action} your calendar.", "", "Slotwise"]
    method = "CANCEL" if cancelled else "REQUEST"
    return Invitation(
        message_id=message_id(local_id),
        to=me.address,
        subject=f"{label}: {meeting.title} with {other.name}, {start:%a} {start.day} {start:%b} {start:%H:%M}",
        body="\n".join(lines) + "\n",
        calendar=calendar if calendar is not None else invitation(meeting),
        method=method,
        reply_to=other.address,
        # the first email about this booking, so mail clients keep them in one thread
        references=[] if kind == "booking.created" else [message_id(f"{event_id(booking.id, 1)}.{role}")],
    )


def invitation(meeting: Meeting) -> bytes:
    """The iTIP invitation of the meeting as its booking now stands, the same for both parties:
    REQUEST, or CANCEL once the booking is cancelled (written in the host's zone)."""
    method = "CANCEL" if meeting.booking.status == CANCELLED else "REQUEST"
    event = calendar_event(meeting.booking, meeting.title, meeting.host.time_zone, meeting.host.email)
    return event_calendar(event, method)
