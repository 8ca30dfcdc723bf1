"""Provider sync benchmark: bookings synced to a real CalDAV server (Radicale) per second, and
how long Celery workers take to drain a burst of bookings.

    python tests/bench/provider_sync.py [--pg-url postgres://postgres@127.0.0.1:5432] [--burst 1000]

1. A burst of bookings across 20 hosts, each with its own calendar, recorded before anything
   runs; then the dispatcher and one Celery worker (prefork) start on the real Redis broker and
   the clock runs until every sync is done and each booking is on its calendar once. Each
   calendar keeps its default budget (600 calls a minute). The same worker also sends each
   booking's confirmation emails (to the embedded file backend), as it would in production.
2. One process syncing bookings back to back (the adapter and the breaker, no broker, the rate
   budget lifted): the cost of one sync.

Workers, dispatcher, Radicale, Redis and PostgreSQL share this machine's cores; the figures say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB = "slotwise_bench_sync"
HOSTS = 20


def setup_django(pg_url: str) -> dict[str, str]:
    subprocess.run(["psql", f"{pg_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True)
    subprocess.run(["psql", f"{pg_url}/postgres", "-qc", f"CREATE DATABASE {DB}"], check=True)
    corner = f"slotwise-bench-{uuid4().hex[:8]}"
    os.environ.update(
        DATABASE_URL=f"{pg_url}/{DB}",
        DJANGO_SETTINGS_MODULE="booking.settings",
        SLOTWISE_LOG_LEVEL="WARNING",
        SLOTWISE_CELERY_BROKER_URL="redis://127.0.0.1:6379/5",
        SLOTWISE_CELERY_PREFIX=f"{corner}:",
        SLOTWISE_REDIS_URL="redis://127.0.0.1:6379/5",
        SLOTWISE_REDIS_PREFIX=corner,
        SLOTWISE_ALLOW_PRIVATE_URLS="1",  # Radicale is on loopback
        # every booking of the burst has one attendee address: its emails must all go, as before the cap
        SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR="off",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    os.environ["SLOTWISE_CREDENTIALS_KEY"] = settings.SLOTWISE_CREDENTIALS_KEY
    return dict(os.environ)


def hosts_with_calendars(server: Any, count: int) -> list[tuple[UUID, Any]]:
    """`count` hosts open around the clock, each with an event type and a Radicale calendar."""
    from booking.bootstrap import get_app
    from booking.domain.schedule import WEEKDAYS, Schedule
    from providers.caldav import CalDavProvider
    from providers.models import CalendarAccount
    from providers.secrets import seal

    app = get_app()
    org = app.register_organisation(f"bench-sync-{uuid4().hex[:6]}")
    always = Schedule.parse({d: [{"start": "00:00", "end": "24:00"}] for d in WEEKDAYS}, [])
    made = []
    for n in range(count):
        host = app.register_host(org, f"Host {n}", f"host{n}@example.com", "Europe/Berlin").subject
        app.change_schedule(org, host.id, always)
        settings = {"slug": "sync", "title": "Sync", "length_in_minutes": 15, "booking_window_days": 730}
        event_type = app.create_event_type(org, host.id, settings).subject
        url = server.calendar_url(f"bench-{n}-{uuid4().hex[:6]}")
        CalDavProvider(url, server.username, server.password).ensure_calendar()
        account = CalendarAccount.objects.create(
            organisation_id=org,
            host_id=host.id,
            provider="caldav",
            url=url,
            username=server.username,
            secret=seal({"password": server.password}),
        )
        made.append((event_type.id, account))
    return made


def book(event_type_id: UUID, count: int, first: datetime) -> list[UUID]:
    from booking.bootstrap import get_app

    app, person = get_app(), {"name": "Load Test", "email": "load@example.com", "timeZone": "UTC"}
    return [app.book_slot(event_type_id, first + timedelta(minutes=15 * n), person).subject.id for n in range(count)]


def one_process(server: Any, count: int) -> None:
    from django.conf import settings

    from providers.calendar_sync import sync_booking

    # the cost of a sync, not the account's budget (10 a second by default) is measured here
    settings.SLOTWISE_PROVIDER_CALLS_PER_MINUTE = {"caldav": 1e9}

    [(event_type_id, account)] = hosts_with_calendars(server, 1)
    uids = book(event_type_id, count, datetime(2027, 6, 1, tzinfo=UTC))
    took = []
    started = time.perf_counter()
    for uid in uids:
        t = time.perf_counter()
        sync_booking(account, uid)
        took.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    took.sort()
    print(
        f"one process, back to back:  {count} syncs in {wall:5.2f} s = {count / wall:6.1f} bookings/s"
        f"  (per sync p50 {statistics.median(took):.1f} ms, p95 {took[int(0.95 * len(took))]:.1f} ms)"
    )


def burst(server: Any, total: int, env: dict[str, str], concurrency: int) -> None:
    from providers.caldav import CalDavProvider
    from providers.models import SideEffect
    from tests.integration.side_effects_support import dispatcher, running, wait_until, worker

    pairs = hosts_with_calendars(server, HOSTS)
    started = time.perf_counter()
    for event_type_id, _ in pairs:
        book(event_type_id, total // HOSTS, datetime(2027, 1, 4, tzinfo=UTC))
    print(f"burst: {total} bookings across {HOSTS} hosts recorded in {time.perf_counter() - started:.1f} s")
    syncs = SideEffect.objects.filter(handler="calendar.sync")
    expected = total
    with running(worker(env, concurrency=concurrency)):
        time.sleep(6)  # the worker's start-up is not part of the drain
        t0 = time.perf_counter()
        with running(dispatcher(env)):
            wait_until(lambda: syncs.filter(state=SideEffect.DONE).count() >= expected, 900, "the drain")
            drain = time.perf_counter() - t0
            everything = SideEffect.objects.exclude(state=SideEffect.DONE)
            wait_until(lambda: not everything.exists(), 900, "the emails")
            drain_all = time.perf_counter() - t0
    emails = SideEffect.objects.filter(handler="email.booking").count()
    after = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    on_calendars = sum(
        len(CalDavProvider(a.url, server.username, server.password).event_uids(*after)) for _, a in pairs
    )
    print(
        f"burst drained by 1 worker x {concurrency} processes: {expected} syncs in {drain:6.1f} s"
        f" = {expected / drain:6.1f} bookings/s; the burst's {HOSTS} calendars hold {on_calendars} events"
    )
    print(f"everything the burst asked for (the syncs and {emails} emails) done in {drain_all:6.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--single", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    args = ap.parse_args()
    env = setup_django(args.pg_url)
    from tests.integration.radicale_server import radicale

    with radicale() as server:
        burst(server, args.burst, env, args.concurrency)
        one_process(server, args.single)  # after the drain: no dispatcher sees these bookings
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
