"""The CalDAV adapter: a host's calendar collection (Radicale, Nextcloud, Fastmail, iCloud...) behind the port.

An event lives at a resource named after its uid, so sending it again replaces it in place and
deleting it twice is harmless. Busy times come from the server's free-busy report, which already
leaves out cancelled and transparent events and expands recurrences.

The host names the URL, so every connection goes through providers.addresses (public addresses
only, checked on the address connected to, redirects included). Whatever the server answers,
junk included, becomes one of the port's errors; what a host is told of a failure is said in our
own words (`in_our_words`), never with the server's text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from urllib.parse import quote

from caldav.calendarobjectresource import Event, FreeBusy
from caldav.collection import Calendar
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib import error
from icalendar import Calendar as ICalendar
from lxml import etree

from providers import addresses
from providers.base import AuthExpired, BusyInterval, CalendarEvent, ProviderError, RateLimited, Rejected, Unavailable
from providers.http_errors import retry_after_seconds
from providers.ical import event_object

CALENDAR_RESOURCE = "{urn:ietf:params:xml:ns:caldav}calendar"
RESOURCE_TYPE = "{DAV:}resourcetype"

T = TypeVar("T")
# What parsing a junk answer raises, in caldav, lxml or icalendar (caldav reads some junk as None).
JUNK = (etree.LxmlError, ValueError, TypeError, AttributeError, KeyError, IndexError)


class CalDavProvider:
    """One calendar collection, e.g. `https://dav.example.com/ada/work/`, reached with a password."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 10) -> None:
        self.url = url if url.endswith("/") else f"{url}/"
        self.username = username
        self.password = password
        self.timeout = timeout
        self._local = threading.local()

    def upsert_event(self, event: CalendarEvent) -> None:
        body = event_object(event)
        # raw bytes: caldav's own save() would bump SEQUENCE, which belongs to the booking
        self._run(f"PUT {event.uid}", lambda: self._event(event.uid).save(raw_data=body))

    def delete_event(self, uid: str) -> None:
        self._run(f"DELETE {uid}", lambda: self._event(uid).delete())  # a 404 counts as deleted

    def busy_times(self, start: datetime, end: datetime) -> list[BusyInterval]:
        """The busy intervals in [start, end), in UTC, sorted; cancelled events are free."""

        def report() -> list[BusyInterval]:  # read inside the translation: a junk answer is a port error
            return _busy_intervals(str(cast(FreeBusy, self._calendar().freebusy_request(start, end)).data))

        return self._run("free-busy REPORT", report)

    def event_uids(self, start: datetime, end: datetime) -> list[str]:
        """The uid of every event stored with a time in [start, end), cancelled or not, one per
        resource: a uid stored twice shows twice."""

        def search() -> list[str]:
            found = cast(list[Event], self._calendar().search(event=True, start=start, end=end))
            return sorted(uid for uid in map(_uid_of, found) if uid)

        return self._run("calendar-query REPORT", search)

    def verify(self) -> None:
        """Checks, when a host connects a calendar, that the password opens the URL and that it is a calendar."""
        properties = self._run(f"PROPFIND {self.url}", lambda: self._calendar().get_properties([dav.ResourceType()]))
        if CALENDAR_RESOURCE not in _resource_types(properties):
            raise Rejected(f"{self.url} is not a calendar collection")

    def ensure_calendar(self) -> None:
        """Makes the collection unless it is there already."""
        try:
            self.verify()
        except Rejected as missing:
            if missing.status != 404:
                raise
            self._make_calendar()

    def _make_calendar(self) -> None:
        status = self._run(f"MKCALENDAR {self.url}", lambda: self._client().mkcalendar(self.url).status)
        if status in (405, 409):  # made meanwhile by someone else, or a parent is missing: look
            self.verify()
        elif status >= 400:
            raise _error_for(status, f"MKCALENDAR {self.url} answered {status}")

    def _run(self, doing: str, call: Callable[[], T]) -> T:
        """Makes `call`, once more if the server dropped a reused connection without answering
        (kept-alive connections race the server's closing them); every call here is idempotent."""
        with _translated(doing):
            try:
                return call()
            except OSError as e:
                if not _dropped(e):
                    raise
            return call()

    def _client(self) -> DAVClient:
        """One client per thread: a client keeps the auth it negotiated and its connections."""
        client: DAVClient | None = getattr(self._local, "client", None)
        if client is None:
            client = DAVClient(
                url=self.url,
                username=self.username,
                password=self.password,
                timeout=self.timeout,  # type: ignore[arg-type]  # niquests takes a float
                enable_rfc6764=False,
                rate_limit_handle=False,  # the sync task waits out Retry-After, not the worker thread
            )
            multiplexed = client.session.multiplexed
            client.session.close()
            client.session = addresses.session(multiplexed)  # public addresses only, on every connection
            self._local.client = client
        return client

    def _calendar(self) -> Calendar:
        return Calendar(self._client(), url=self.url)

    def _event(self, uid: str) -> Event:
        # "/" quoted twice, as caldav does: some servers decode %2F into a path separator
        href = quote(uid.replace("/", "%2F"), safe="") + ".ics"
        return Event(self._client(), url=f"{self.url}{href}", parent=self._calendar())


@contextmanager
def _translated(doing: str) -> Iterator[None]:
    """Turns what caldav and its HTTP library raise into the port's errors."""
    try:
        yield
    except error.RateLimitError as e:
        raise _error_for(e.status or 429, f"{doing}: {e}", retry_after_seconds(e.retry_after)) from e
    except error.DAVError as e:
        raise _error_for(e.status, f"{doing}: {e}", refused_for_a_reason=bool(e.preconditions)) from e
    except OSError as e:  # niquests' and requests' errors are OSErrors too: refused, reset, timed out
        if refused := addresses.refusal_in(e):
            raise Rejected(f"{doing}: {refused}") from e
        raise Unavailable(f"{doing}: {e}") from e
    except NotImplementedError as e:  # caldav's word for a server asking what it cannot do
        if "authentication" in str(e):  # a 401 offering no scheme we speak, or asking a username of none
            raise AuthExpired(f"{doing}: the server asks for an authentication we cannot give", None, 401) from e
        raise Rejected(f"{doing}: the server asks for what this client does not do ({e})") from e
    except JUNK as e:  # broken XML or iCalendar, or none at all: a server, or a page, that is not CalDAV
        raise Rejected(f"{doing}: the answer is not CalDAV ({type(e).__name__})") from e


def in_our_words(error: ProviderError) -> str:
    """Why a calendar could not be used, for the host connecting it: never the server's own text,
    which could be anything (an internal service's error page among them)."""
    if addresses.refusal_in(error):
        return addresses.PUBLIC_HOST
    if isinstance(error, AuthExpired):
        return f"the server refused the username and password ({error.status})"
    if error.status == 404:
        return "the server has no calendar at this URL (404)"
    if error.status is not None:
        return f"the server answered {error.status}"
    if isinstance(error, Unavailable):
        return "could not connect to the server"
    return "the URL is not a CalDAV calendar"


def _dropped(failure: BaseException) -> bool:
    cause: BaseException | None = failure
    while cause is not None:
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _error_for(
    status: int | None, message: str, retry_after: float | None = None, *, refused_for_a_reason: bool = False
) -> ProviderError:
    if status == 429:
        return RateLimited(message, retry_after, status)
    if status is None or status >= 500 or status == 408:
        return Unavailable(message, retry_after, status)
    if status in (401, 403) and not refused_for_a_reason:  # a 403 naming a precondition is not about credentials
        return AuthExpired(message, retry_after, status)
    return Rejected(message, retry_after, status)


def _busy_intervals(report: str) -> list[BusyInterval]:
    intervals = [
        BusyInterval(period.start.astimezone(UTC), period.end.astimezone(UTC))
        for component in ICalendar.from_ical(report).walk("VFREEBUSY")
        for period in _as_list(component.get("FREEBUSY"))
        if str(period.params.get("FBTYPE", "BUSY")).upper() != "FREE"
    ]
    return sorted(intervals, key=lambda interval: (interval.start, interval.end))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _uid_of(resource: Event) -> str | None:
    for component in ICalendar.from_ical(str(resource.data)).walk("VEVENT"):
        return str(component["UID"]) if "UID" in component else None
    return None


def _resource_types(properties: Any) -> list[str]:
    return list(properties.get(RESOURCE_TYPE) or []) if isinstance(properties, dict) else []
