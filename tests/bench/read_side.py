"""Read-side benchmark: replay rate into each store, and end-to-end lag from a committed command
to the booking being visible in the agenda, through the log and through Kafka.

    python tests/bench/read_side.py [--pg-url postgres://postgres@127.0.0.1:5432] [--events 100000]

Client, projectors, broker and PostgreSQL share this machine's cores; the figures say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB = "slotwise_bench_read"


def setup_django(pg_url: str) -> None:
    subprocess.run(
        ["psql", f"{pg_url}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"], check=True, capture_output=True
    )
    subprocess.run(["psql", f"{pg_url}/postgres", "-qc", f"CREATE DATABASE {DB}"], check=True)
    os.environ.update(
        DATABASE_URL=f"{pg_url}/{DB}", DJANGO_SETTINGS_MODULE="booking.settings", SLOTWISE_LOG_LEVEL="WARNING"
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(events: int) -> int:
    """Writes about `events` real events quickly: whole days of bookings saved per call."""
    from booking.bootstrap import get_app
    from booking.domain.availability import Reservation
    from booking.domain.booking import Booking
    from booking.domain.calendar import CalendarDay
    from booking.domain.schedule import WEEKDAYS, Schedule
    from booking.domain.timezones import zone

    app = get_app()
    org = app.register_organisation("bench-read")
    always = Schedule.parse({d: [{"start": "00:00", "end": "24:00"}] for d in WEEKDAYS}, [])
    attendee = {"name": "Load Test", "email": "load@example.com", "timeZone": "UTC"}
    day0 = date(2027, 1, 1)
    while (app.recorder.max_notification_id() or 0) < events:
        host = app.register_host(org, "Host", "host@example.com", "Europe/Berlin").subject
        app.change_schedule(org, host.id, always)
        event_type = app.create_event_type(
            org, host.id, {"slug": "bench", "title": "Bench", "length_in_minutes": 30}
        ).subject
        rules, tz = event_type.rules, zone(host.time_zone)
        for d in range(60):
            local = day0 + timedelta(days=d)
            calendar = CalendarDay(host_id=host.id, local_date=local.isoformat())
            bookings = []
            for slot in range(48):
                start = datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC) + timedelta(
                    minutes=30 * slot
                )
                booking = Booking(
                    organisation_id=org,
                    host_id=host.id,
                    event_type_id=event_type.id,
                    start=start,
                    end=start + rules.length,
                    attendee=attendee,
                    reserved_dates=[local.isoformat()],
                )
                calendar.reserve(Reservation.for_booking(booking.id, rules, start, tz))
                if slot % 10 == 0:
                    booking.cancel("changed plans")
                    calendar.release(booking.id)
                bookings.append(booking)
            app.save(*bookings, calendar)
            if (app.recorder.max_notification_id() or 0) >= events:
                break
    return app.recorder.max_notification_id() or 0


def replay_rates(head: int) -> None:
    from osmem_server import OsmemServer

    from booking.bootstrap import get_app
    from projections.elastic.client import client, ensure_alias
    from projections.elastic.replay import replay_es
    from projections.replay import replay
    from projections.sources import LogSource
    from projections.views import VIEWS

    app = get_app()
    for view in VIEWS.values():
        started = time.perf_counter()
        replay(view, LogSource(app))
        took = time.perf_counter() - started
        rate = head / took
        print(f"replay {view.name:<13} into PostgreSQL:    {head:>7} events in {took:6.2f} s = {rate:>8,.0f} events/s")
    from django.conf import settings

    with OsmemServer.start() as server:
        settings.SLOTWISE_ES_URL, settings.SLOTWISE_ES_PLAIN_JSON = server.url, True
        es = client()
        for view in VIEWS.values():
            ensure_alias(es, view.name)
            started = time.perf_counter()
            replay_es(view, LogSource(app), es, batch_size=5000)
            took = time.perf_counter() - started
            print(
                f"replay {view.name:<13} into the ES emulator: {head:>7} events in {took:6.2f} s = "
                f"{head / took:>8,.0f} events/s"
            )


def lag(label: str, processes: list[list[str]], env: dict[str, str], samples: int = 200) -> None:
    from booking.bootstrap import get_app
    from booking.domain.schedule import WEEKDAYS, Schedule
    from projections.models import AgendaEntry

    app = get_app()
    app.clock = lambda: datetime(2026, 12, 1, tzinfo=UTC)
    org = app.register_organisation("bench-lag")
    host = app.register_host(org, "Lag", "lag@example.com", "UTC").subject
    app.change_schedule(org, host.id, Schedule.parse({d: [{"start": "00:00", "end": "24:00"}] for d in WEEKDAYS}, []))
    event_type = app.create_event_type(
        org, host.id, {"slug": f"lag-{label}", "title": "Lag", "length_in_minutes": 15, "booking_window_days": 730}
    ).subject
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for args in processes
    ]
    try:
        warm = app.book_slot(
            event_type.id, datetime(2027, 6, 1, tzinfo=UTC), {"name": "w", "email": "w@x.io", "timeZone": "UTC"}
        )
        _visible(warm.subject.id, AgendaEntry, timeout=60)
        delays = []
        for n in range(samples):
            start = datetime(2027, 6, 2, tzinfo=UTC) + timedelta(minutes=15 * n)
            made = app.book_slot(event_type.id, start, {"name": "l", "email": "l@x.io", "timeZone": "UTC"})
            committed = time.perf_counter()
            _visible(made.subject.id, AgendaEntry, timeout=10)
            delays.append((time.perf_counter() - committed) * 1000)
            time.sleep(0.02)
        q = statistics.quantiles(delays, n=100)
        print(
            f"lag commit -> agenda, {label:<6}: n={samples}  p50 {statistics.median(delays):6.1f} ms  "
            f"p99 {q[98]:6.1f} ms  max {max(delays):6.1f} ms"
        )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)


def _visible(uid: UUID, model: type, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not model.objects.filter(uid=uid).exists():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"booking {uid} never showed in the agenda")
        time.sleep(0.002)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    setup_django(args.pg_url)
    started = time.perf_counter()
    head = generate(args.events)
    print(
        f"machine: {os.cpu_count()} cores shared by this client, the projectors, the broker and PostgreSQL; "
        f"{date.today()}"
    )
    print(f"generated {head} events in {time.perf_counter() - started:.1f} s")
    replay_rates(head)

    env = {**os.environ}
    lag("log", [["run_projector", "agenda", "--source", "log"]], env)

    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    from booking.bootstrap import get_app
    from projections import positions
    from projections.relay import RELAY
    from tests.integration.kafka_broker import tansu

    positions.reset(RELAY, get_app().recorder.max_notification_id() or 0, None)  # relay new events only
    with tansu() as bootstrap:
        kafka_env = {**env, "SLOTWISE_KAFKA_BOOTSTRAP": bootstrap, "SLOTWISE_KAFKA_TOPIC": "bench.booking-events"}
        lag("kafka", [["relay_events"], ["run_projector", "agenda", "--source", "kafka"]], kafka_env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
