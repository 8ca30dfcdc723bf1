"""The write side's application: one method per command, each load -> decide -> save.

Every write goes through `_write`, which saves the touched aggregates and the idempotency
record in one event-store transaction and, when a concurrent writer got there first,
reloads and decides again (optimistic concurrency on aggregate versions).

Writers of one host (or, for new hosts, of one organisation) first take turns on a lock for
that key (`serialise`), so they do not keep colliding on the aggregates they all write (the
host's calendar days, its event-type registry, the organisation): colliding writers retry, and
enough of them at once ran out of attempts. The lock is only a queue; the version check stays
the judge, so a writer the lock did not queue (an application built with a lock of its own
process only, beside others) still cannot double-book
(docs/adr/0001-event-store-aggregates-and-ids.md).
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from booking.domain import ids
from booking.domain.availability import Availability, Reservation
from booking.domain.booking import Booking
from booking.domain.calendar import CalendarDay
from booking.domain.errors import ConcurrentUpdate, DomainError, InvalidValue, NotFound, VersionMismatch
from booking.domain.event_type import EventType, EventTypeRegistry, validate_settings
from booking.domain.host import Host
from booking.domain.idempotency import IdempotencyRecord
from booking.domain.organisation import Organisation
from booking.domain.schedule import Schedule
from booking.domain.timezones import zone
from booking.eventstore import position_of
from booking.repository import ThreadSafeRepository

A = TypeVar("A", bound=Aggregate)
Clock = Callable[[], datetime]
Holds = Callable[[UUID, list[date]], Iterable[Reservation]]
# Takes the locks of the keys for as long as the context lasts (a decision and its save)
Serialise = Callable[[Sequence[UUID]], contextlib.AbstractContextManager[object]]
LOCK_WAIT_SECONDS = 5.0  # a writer waits this long for its key, then answers concurrent_update
LOCK_WAIT_EXCEEDED = "another change to the same host or organisation took too long; retry"


class KeyLocks:
    """The in-process `Serialise`: one lock per key, shared by the threads of this process.

    A key's lock lives only while a thread holds it or waits for it (the registry holds at most
    one entry per waiting thread, never one per key ever seen). Several keys are taken in sorted
    order, so two writers never wait for each other's. A wait longer than `wait` seconds raises
    ConcurrentUpdate. Not re-entrant: a writer takes its keys once.
    """

    def __init__(self, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.wait = wait
        self._guard = threading.Lock()
        self._locks: dict[UUID, tuple[threading.Lock, int]] = {}  # key -> (lock, holders and waiters)

    @contextlib.contextmanager
    def __call__(self, keys: Sequence[UUID]) -> Iterator[None]:
        with contextlib.ExitStack() as held:
            for key in sorted(set(keys)):
                held.enter_context(self._one(key))
            yield

    @contextlib.contextmanager
    def _one(self, key: UUID) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            lock = lock or threading.Lock()
            self._locks[key] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=self.wait):
                raise ConcurrentUpdate(LOCK_WAIT_EXCEEDED, None)
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Idempotency:
    """A client's Idempotency-Key, the scope it lives in, and the request's fingerprint."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome(Generic[A]):
    subject: A
    position: int
    created: bool
    replayed: bool = False  # the first outcome of an idempotent request: `subject` as it was then


class Slotwise(Application[UUID]):
    name = "Slotwise"  # fixes table names however the class is renamed
    snapshotting_intervals = {CalendarDay: 50}
    # Cached aggregates are always fast-forwarded from the store before use, so they are
    # never stale for a decision; the cache only saves re-reading history. Threads share it,
    # so reads of one aggregate take turns (booking/repository.py).
    env = {"AGGREGATE_CACHE_MAXSIZE": "5000", "AGGREGATE_CACHE_FASTFORWARD": "y"}
    max_attempts = 12

    def __init__(
        self, env: dict[str, str] | None = None, clock: Clock = system_clock, serialise: Serialise | None = None
    ) -> None:
        """`serialise`: how writers of one key take turns; by default, a lock per key in this
        process (booking.bootstrap gives locks every process shares: PostgreSQL's advisory
        locks, or lock files beside the embedded store)."""
        super().__init__(env=env)
        self.clock = clock
        self.serialise: Serialise = serialise or KeyLocks()

    def construct_repository(self) -> Repository[UUID]:
        # the threads of a gthread worker share this cache: reads must not copy mid-fast-forward.
        # The parent reads every cache setting from env; only `get` differs, so only the class does
        repository = super().construct_repository()
        repository.__class__ = ThreadSafeRepository
        return repository

    # -- organisations and hosts ------------------------------------------------------------

    def register_organisation(self, slug: str) -> UUID:
        """Creates the organisation if needed; registering twice is harmless."""
        try:
            return self.repository.get(ids.organisation_id(slug)).id
        except AggregateNotFoundError:
            pass
        with contextlib.suppress(IntegrityError):
            self.save(Organisation(slug=slug))
        return ids.organisation_id(slug)

    def register_host(
        self, organisation_id: UUID, name: str, email: str, time_zone: str, idem: Idempotency | None = None
    ) -> Outcome[Host]:
        zone(time_zone)

        def decide() -> tuple[Host, list[Aggregate]]:
            org = self._get(Organisation, organisation_id)
            host = Host(organisation_id=organisation_id, name=name, email=email, time_zone=time_zone)
            org.add_host(host.id)
            return host, [org]

        return self._write([organisation_id], decide, idem, created=True)

    def change_schedule(
        self, organisation_id: UUID, host_id: UUID, schedule: Schedule, expected_version: int | None = None
    ) -> Outcome[Host]:
        def decide() -> tuple[Host, list[Aggregate]]:
            host = self.host(organisation_id, host_id)
            _expect(host, expected_version)
            host.change_schedule(schedule)
            return host, []

        return self._write([host_id], decide, None, created=False)

    def host(self, organisation_id: UUID, host_id: UUID) -> Host:
        host = self._get(Host, host_id)
        if host.organisation_id != organisation_id:
            raise NotFound("no such host", "id")
        return host

    def hosts(self, organisation_id: UUID) -> list[Host]:
        try:
            org = self._get(Organisation, organisation_id)
        except NotFound:
            return []
        return [self._get(Host, host_id) for host_id in org.host_ids]

    # -- event types -------------------------------------------------------------------------

    def create_event_type(
        self, organisation_id: UUID, host_id: UUID, settings: dict[str, Any], idem: Idempotency | None = None
    ) -> Outcome[EventType]:
        validate_settings(settings)

        def decide() -> tuple[EventType, list[Aggregate]]:
            try:
                host = self.host(organisation_id, host_id)
            except NotFound:
                raise InvalidValue.single("hostId", "unknown host") from None
            registry = self._registry(host.id)
            event_type = EventType(organisation_id=organisation_id, host_id=host.id, settings=settings)
            registry.claim(settings["slug"], event_type.id)
            return event_type, [registry]

        return self._write([host_id], decide, idem, created=True)

    def update_event_type(
        self,
        organisation_id: UUID,
        event_type_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> Outcome[EventType]:
        validate_settings(changes)
        host_id = self._host_of(EventType, event_type_id)

        def decide() -> tuple[EventType, list[Aggregate]]:
            event_type = self.event_type(event_type_id, organisation_id)
            _expect(event_type, expected_version)
            others: list[Aggregate] = []
            if "slug" in changes and changes["slug"] != event_type.settings["slug"]:
                registry = self._registry(event_type.host_id)
                registry.claim(changes["slug"], event_type.id)
                others.append(registry)
            event_type.update(changes)
            return event_type, others

        return self._write([host_id], decide, None, created=False)

    def event_type(self, event_type_id: UUID, organisation_id: UUID | None = None) -> EventType:
        event_type = self._get(EventType, event_type_id)
        if organisation_id is not None and event_type.organisation_id != organisation_id:
            raise NotFound("no such event type", "id")
        return event_type

    def event_types(self, organisation_id: UUID, host_id: UUID | None) -> list[EventType]:
        hosts = [self.host(organisation_id, host_id)] if host_id else self.hosts(organisation_id)
        found: list[EventType] = []
        for host in hosts:
            try:
                registry = self._get(EventTypeRegistry, ids.event_type_registry_id(host.id))
            except NotFound:
                continue
            found.extend(self._get(EventType, et_id) for et_id in registry.event_type_ids)
        return found

    # -- availability and bookings -----------------------------------------------------------

    def offered_slots(
        self, event_type_id: UUID, start: datetime, end: datetime, holds: Holds | None = None
    ) -> list[datetime]:
        """Every start bookable now in [start, end), in time order.

        `holds` reads reservations from elsewhere (the availability view); by default they come
        from the calendar-day aggregates themselves.
        """
        # read only, no copies: a host fast-forwarded meanwhile by another thread can at worst
        # offer a slot of a schedule a moment old, which the booking's decision then checks
        event_type = self._get(EventType, event_type_id, copy=False)
        host = self._get(Host, event_type.host_id, copy=False)
        tz = zone(host.time_zone)
        days = _dates(start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date())
        around = _dates(days[0] - timedelta(days=1), days[-1] + timedelta(days=1))
        held = tuple(holds(host.id, around)) if holds else _held(self._calendar_days(host.id, around))
        availability = Availability(host.schedule, tz, event_type.rules, self.clock(), held)
        return availability.offered(days, within=(start, end))

    def book_slot(
        self, event_type_id: UUID, start: datetime, attendee: dict[str, str], idem: Idempotency | None = None
    ) -> Outcome[Booking]:
        try:
            host_id = self._host_of(EventType, event_type_id)
        except NotFound:
            raise InvalidValue.single("eventTypeId", "unknown event type") from None

        def decide() -> tuple[Booking, list[Aggregate]]:
            # copies: a schedule read while another thread fast-forwards the cached host could
            # mix two versions (weekly hours of one, overrides of the other); a decision must not
            event_type = self.event_type(event_type_id)
            host = self._get(Host, event_type.host_id)
            tz, rules = zone(host.time_zone), event_type.rules
            probe = Reservation.for_booking(ids.NAMESPACE, rules, start, tz)
            calendars = self._calendar_days(host.id, probe.local_dates(tz), open_missing=True)
            Availability(host.schedule, tz, rules, self.clock(), _held(calendars)).check(start)
            booking = Booking(
                organisation_id=event_type.organisation_id,
                host_id=host.id,
                event_type_id=event_type.id,
                start=start.astimezone(UTC),
                end=start.astimezone(UTC) + rules.length,
                attendee=attendee,
                reserved_dates=[d.local_date for d in calendars],
            )
            wanted = Reservation.for_booking(booking.id, rules, booking.start, tz)
            for calendar in calendars:
                calendar.reserve(wanted)
            return booking, list(calendars)

        return self._write([host_id], decide, idem, created=True)

    def reschedule_booking(
        self, uid: UUID, start: datetime, idem: Idempotency | None = None, token_generation: int | None = None
    ) -> Outcome[Booking]:
        """`token_generation`: the token a token holder was let in with, which must still be current."""
        host_id = self._host_of(Booking, uid)

        def decide() -> tuple[Booking, list[Aggregate]]:
            booking = self.booking(uid)
            booking.ensure_token_generation(token_generation)
            booking.ensure_live()
            event_type = self._get(EventType, booking.event_type_id)
            host = self._get(Host, booking.host_id)
            tz, rules = zone(host.time_zone), event_type.rules
            wanted = Reservation.for_booking(booking.id, rules, start.astimezone(UTC), tz)
            new_dates = [d.isoformat() for d in wanted.local_dates(tz)]
            old_dates = [date.fromisoformat(d) for d in booking.reserved_dates]
            calendars = self._calendar_days(host.id, sorted({*old_dates, *wanted.local_dates(tz)}), open_missing=True)
            Availability(host.schedule, tz, rules, self.clock(), _held(calendars)).check(start, ignoring=booking.id)
            for calendar in calendars:
                calendar.release(booking.id)
                if calendar.local_date in new_dates:
                    calendar.reserve(wanted)
            booking.reschedule(wanted.start, wanted.end, new_dates)
            return booking, list(calendars)

        return self._write([host_id], decide, idem, created=False)

    def cancel_booking(
        self, uid: UUID, reason: str, idem: Idempotency | None = None, token_generation: int | None = None
    ) -> Outcome[Booking]:
        """`token_generation`: the token a token holder was let in with, which must still be current."""
        host_id = self._host_of(Booking, uid)

        def decide() -> tuple[Booking, list[Aggregate]]:
            booking = self.booking(uid)
            booking.ensure_token_generation(token_generation)
            booking.cancel(reason)
            dates = [date.fromisoformat(d) for d in booking.reserved_dates]
            calendars = self._calendar_days(booking.host_id, dates)
            for calendar in calendars:
                calendar.release(booking.id)
            return booking, list(calendars)

        return self._write([host_id], decide, idem, created=False)

    def revoke_cancel_token(self, uid: UUID, idem: Idempotency | None = None) -> Outcome[Booking]:
        host_id = self._host_of(Booking, uid)  # the booking is written by its host's other writers too

        def decide() -> tuple[Booking, list[Aggregate]]:
            booking = self.booking(uid)
            booking.revoke_cancel_token()
            return booking, []

        return self._write([host_id], decide, idem, created=False)

    def booking(self, uid: UUID) -> Booking:
        return self._get(Booking, uid)

    def booking_history(self, uid: UUID) -> list[Any]:
        """The booking's own events, oldest first."""
        self.booking(uid)
        return list(self.events.get(uid))

    # -- plumbing ----------------------------------------------------------------------------

    def _write(
        self,
        keys: Sequence[UUID],
        decide: Callable[[], tuple[A, Sequence[Aggregate]]],
        idem: Idempotency | None,
        *,
        created: bool,
    ) -> Outcome[A]:
        """Decides and saves holding the keys' locks; a version clash (a writer that did not
        wait for them) lets them go, backs off and decides again."""
        for attempt in range(self.max_attempts):
            with self.serialise(keys):
                outcome = self._attempt(decide, idem, created)
            if outcome is not None:
                return outcome
            time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # noqa: S311  # nosec B311  # - full jitter for a retry, not a secret
        raise ConcurrentUpdate("too many concurrent changes to the same calendar; retry", None)

    def _attempt(
        self, decide: Callable[[], tuple[A, Sequence[Aggregate]]], idem: Idempotency | None, created: bool
    ) -> Outcome[A] | None:
        """The outcome, or None when the save clashed on a version."""
        if idem is not None and (replayed := self._replay(idem)) is not None:
            return replayed  # type: ignore[return-value]
        try:
            subject, others = decide()
        except DomainError:
            # a duplicate of our key may have committed since we looked: its outcome wins
            if idem is not None and (replayed := self._replay(idem)) is not None:
                return replayed  # type: ignore[return-value]
            raise
        pending: list[Aggregate] = [subject, *others]
        if idem is not None:
            pending.append(self._idempotency_record(idem, subject, created))
        try:
            recordings = self.save(*pending)
        except IntegrityError:
            return None
        position = recordings[-1].notification.id if recordings else self.recorder.max_notification_id() or 0
        return Outcome(subject, position, created)

    @staticmethod
    def _idempotency_record(idem: Idempotency, subject: Aggregate, created: bool) -> IdempotencyRecord:
        return IdempotencyRecord(
            scope=idem.scope,
            key=idem.key,
            fingerprint=idem.fingerprint,
            outcome="created" if created else "changed",
            resource_id=subject.id,
            resource_version=subject.version,
        )

    def _replay(self, idem: Idempotency) -> Outcome[Aggregate] | None:
        # records are never snapshotted: read their one event directly (one query, not two)
        record_id = ids.idempotency_record_id(idem.scope, idem.key)
        stored = list(self.events.get(record_id))
        if not stored:
            return None
        record = project_aggregate(None, stored)
        if not isinstance(record, IdempotencyRecord):  # an explicit check: `python -O` strips asserts
            raise TypeError(f"aggregate {record_id} is not an idempotency record")
        record.ensure_same_request(idem.fingerprint)
        subject: Aggregate = self.repository.get(record.resource_id, version=record.resource_version)
        return Outcome(subject, position_of(self.recorder, record.id, 1), record.outcome == "created", replayed=True)

    def _get(self, cls: type[A], aggregate_id: UUID, *, copy: bool = True) -> A:
        """The aggregate at the store's latest version. `copy=False`, for a caller that only
        reads it, never changes or saves it and decides nothing on it: the cached aggregate
        itself, not a deep copy (another thread may fast-forward it meanwhile: its events replace
        attributes whole, so each attribute read is of one version or the next)."""
        try:
            found: Aggregate | None = self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, cls):
            raise NotFound(f"no such {_label(cls)}", "id")
        return found

    def _host_of(self, cls: type[EventType | Booking], aggregate_id: UUID) -> UUID:
        """The host of an event type or booking, the key a command locks before it decides: from
        the cache when it holds the aggregate (a host never changes, so any version will do), so
        the lock costs no read of what the decision reads anyway; else read from the store."""
        cache = self.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                cached = cache.get(aggregate_id)
                if isinstance(cached, cls):
                    return cached.host_id
        return self._get(cls, aggregate_id).host_id

    def _registry(self, host_id: UUID) -> EventTypeRegistry:
        try:
            return self._get(EventTypeRegistry, ids.event_type_registry_id(host_id))
        except NotFound:
            return EventTypeRegistry(host_id=host_id)

    def _calendar_days(self, host_id: UUID, dates: Iterable[date], *, open_missing: bool = False) -> list[CalendarDay]:
        calendars = []
        for day in dates:
            try:
                calendars.append(self._get(CalendarDay, ids.calendar_day_id(host_id, day)))
            except NotFound:
                if open_missing:
                    calendars.append(CalendarDay(host_id=host_id, local_date=day.isoformat()))
        return calendars


def _held(calendars: Iterable[CalendarDay]) -> tuple[Reservation, ...]:
    """Reservations across days, each once (a hold spanning midnight sits on two days)."""
    return tuple({r.booking_uid: r for c in calendars for r in c.reservations}.values())


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _expect(aggregate: Aggregate, expected_version: int | None) -> None:
    if expected_version is not None and aggregate.version != expected_version:
        raise VersionMismatch(f"the resource is at version {aggregate.version}, not {expected_version}", "If-Match")


def _label(cls: type) -> str:
    return {"EventType": "event type", "CalendarDay": "calendar day"}.get(cls.__name__, cls.__name__.lower())
