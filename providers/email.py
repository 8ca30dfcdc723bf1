"""Email out: a message with its invitation attached, sent through Django's mail backend, and
SMTP failures sorted into the port's kinds (retry later, or give up).

A message's Message-ID is stable (it names the side effect), so the rare resend after a crash
between the server accepting it and the ledger recording that is recognisably the same message.
The connection is closed only after the ledger row is finished (see `Outbox`), and that UPDATE
commits without waiting for the disk flush (`unflushed_commits`), which keeps the window to
the UPDATE's round trip.

A message that can never be sent is refused at once (Rejected), not retried: an address with a
line break or one Django cannot encode (BadHeaderError, ValueError), a non-ASCII local part (it
would need SMTPUTF8, which Django does not send, and would otherwise reach a mangled mailbox), a
5xx reply.
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db import connection as database

from providers.base import Rejected, Unavailable


@dataclass(frozen=True)
class Invitation:
    """One email: plain text, and an iTIP calendar both as an alternative part and as invite.ics."""

    message_id: str  # without angle brackets, e.g. "<event id>.attendee@example.com"
    to: str
    subject: str
    body: str
    calendar: bytes  # the iCalendar text (providers.ical.event_calendar)
    method: str  # REQUEST or CANCEL, as in the calendar
    reply_to: str | None = None
    references: list[str] = field(default_factory=list)  # earlier Message-IDs of the same booking

    def message(self, connection: Any = None) -> EmailMultiAlternatives:
        headers = {"Message-ID": f"<{self.message_id}>"}
        if self.references:
            headers["References"] = " ".join(f"<{ref}>" for ref in self.references)
            headers["In-Reply-To"] = f"<{self.references[-1]}>"
        made = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body,
            to=[self.to],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers=headers,
            connection=connection,
        )
        text = self.calendar.decode()
        # what calendar clients act on (RFC 6047): text/calendar with the iTIP method
        made.attach_alternative(text, f"text/calendar; method={self.method}")
        made.attach("invite.ics", self.calendar, "application/ics")
        return made


def message_id(local: str) -> str:
    """`local@domain`, the domain being ours (the sender's unless set)."""
    domain = settings.SLOTWISE_EMAIL_MESSAGE_ID_DOMAIN or parseaddr(settings.DEFAULT_FROM_EMAIL)[1].partition("@")[2]
    return f"{local}@{domain or 'slotwise.localhost'}"


class Outbox:
    """One mail connection for one task: opened on the first send, closed when the task leaves
    the `with` block, i.e. after `effects.perform` has finished the ledger row. The QUIT round
    trip therefore happens after the commit, not inside the resend window."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.sent: list[str] = []  # Message-IDs, for logs and tests

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def send(self, invitation: Invitation) -> None:
        """Hands the message to the mail server; raises Unavailable (retry) or Rejected (give up)."""
        if problem := address_problem(invitation.to):
            raise Rejected(f"the recipient's address {problem}")
        try:
            if self.connection is None:
                self.connection = get_connection(fail_silently=False)
                self.connection.open()
            accepted = self.connection.send_messages([invitation.message(self.connection)])
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _ in refused.recipients.values()]
            raise _by_code(max(codes, default=550), f"recipient refused: {refused.recipients}") from None
        except (BadHeaderError, ValueError) as error:  # written before any SMTP command: the connection is fine
            raise Rejected(f"the message cannot be written: {type(error).__name__}: {error}") from None
        except smtplib.SMTPAuthenticationError as error:  # our credentials: fixable, so keep retrying
            raise Unavailable(f"mail server refused our login: {error.smtp_code}", status=error.smtp_code) from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, f"mail server said {error.smtp_code} {error.smtp_error!r}") from None
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out, hung up
            self._drop()
            raise Unavailable(f"mail server unreachable: {error!r}") from None
        if not accepted:
            raise Rejected("the mail backend sent nothing")
        self.sent.append(invitation.message_id)

    def close(self) -> None:
        if self.connection is not None:
            self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        # the message (if any) was accepted already: a failed goodbye changes nothing
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()


@contextlib.contextmanager
def composing() -> Iterator[None]:
    """Writing a message: an address no email header can carry (a line break, a non-ASCII mailbox)
    is a permanent refusal, not an error to retry."""
    try:
        yield
    except ValueError as error:  # UnicodeEncodeError from formataddr, BadHeaderError, "Invalid address"
        raise Rejected(f"the message cannot be written: {type(error).__name__}: {error}") from None


def address_problem(address: str) -> str | None:
    """Why a recipient (`a@b.example` or `Name <a@b.example>`) can never be sent to, or None."""
    if "\r" in address or "\n" in address:
        return "contains a line break"
    mailbox = parseaddr(address)[1] or address
    if not mailbox.rpartition("@")[0].isascii():
        return "has a non-ASCII local part, which needs SMTPUTF8 (not supported)"
    return None


def _by_code(code: int, detail: str) -> Unavailable | Rejected:
    """4xx is temporary (RFC 5321 §4.2.1): try again later; 5xx is permanent."""
    if 400 <= code < 500:
        return Unavailable(detail, status=code)
    if 500 <= code < 600:
        return Rejected(detail, status=code)
    return Unavailable(detail, status=code)


@contextlib.contextmanager
def unflushed_commits() -> Iterator[None]:
    """This connection's commits return once the database has them, without waiting for the disk
    flush (PostgreSQL `synchronous_commit=off`, SQLite `synchronous=NORMAL` in WAL mode).

    A worker killed right after a commit cannot lose it: only a crash of the database server or
    machine could forget the last marks, and then those emails go again with the same Message-ID,
    which at-least-once delivery allows anyway. What it buys: the resend window (server accepted,
    row not yet marked done) no longer includes an fsync."""
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        try:
            yield
        finally:
            with database.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
    elif database.vendor == "sqlite":
        with database.cursor() as cursor:
            before = int(cursor.execute("PRAGMA synchronous").fetchone()[0])
            cursor.execute("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            with database.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous = {before}")
    else:
        yield
