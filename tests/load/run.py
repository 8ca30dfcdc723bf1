"""The load suite: the production-like stack under the spike shape (tests/load/spike.js).

    python tests/load/run.py [--rate 10] [--hold 45s] [--compare] [--smoke]

Starts what users deploy, on a fresh PostgreSQL database: `manage.py serve` (gunicorn, the
projectors, the dispatcher, a Celery worker and beat) with the Redis broker and Redis shared
state, emails to a local SMTP sink. k6 runs the shape; a watcher samples every process's CPU
and memory and the database (connections, each view's lag, the side-effect ledger). After the
arrivals stop it waits until every side effect that is due has run and every view is at the
head (the drain), then checks that nothing was lost or doubled. It writes
var/load/<stamp>/summary.json and, per system, spike.html (k6's web dashboard export: latency
and throughput over time, self-contained, works offline). Then a month view at a steady rate:
30-day slot ranges (slots_range.js) on the same, now booked, event types.

--compare then runs the same shape against the plain CRUD yardstick (../shared/bench/crudpeer.py)
on its own fresh database and prints both side by side with the ratios. --smoke is the short
tripwire `make test` runs: a small rate, loose thresholds, the same checks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import LEDGER_DUE, Processes, Watcher

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
PEER = ROOT.parent / "shared" / "bench" / "crudpeer.py"
SCRIPT = Path(__file__).resolve().parent / "spike.js"
RANGE_SCRIPT = Path(__file__).resolve().parent / "slots_range.js"
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTH_VIEW_BOOKINGS = 60
START = "LOAD-SCENARIO-START"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    if not match:
        raise SystemExit(f"durations look like 45s, 2m or 500ms, not {duration!r}")
    value, unit = int(match[1]), match[2]
    return value / 1000 if unit == "ms" else value * (60 if unit == "m" else 1)


def fresh_database(pg_url: str, name: str) -> str:
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{pg_url}/{name}"


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}) before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1):  # - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} not ready after {timeout:.0f} s")


@contextmanager
def process(command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own group, stopped with everything it started."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(45)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def api(base: str, key: str) -> Callable[[str, str, dict[str, Any]], Any]:
    """A JSON call to the REST API as the organisation's key (loopback only); returns `data`."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(f"{base}/api/v1{path}", json.dumps(body).encode(), headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.loads(reply.read())["data"]

    return call


def prepare(base: str, key: str, hosts: int, out: Path) -> Path:
    """The hosts (open around the clock, Europe/Berlin) and 15-minute event types every run
    books, made before the clock starts; returns the file of event type ids k6 reads."""
    call = api(base, key)
    weekly = {day: [{"start": "00:00", "end": "24:00"}] for day in DAYS}
    event_types = []
    for i in range(hosts):
        host = call(
            "POST", "/hosts", {"name": f"Load {i}", "email": f"load{i}@example.com", "timeZone": "Europe/Berlin"}
        )
        call("PUT", f"/hosts/{host['id']}/schedule", {"weekly": weekly, "overrides": []})
        settings = {"hostId": host["id"], "slug": f"load-{i}", "title": "Load", "lengthInMinutes": 15}
        settings |= {"slotIntervalMinutes": 15, "bufferBeforeMinutes": 0, "bufferAfterMinutes": 0}
        settings |= {"minimumNoticeMinutes": 0, "bookingWindowDays": 365}
        event_types.append(call("POST", "/event-types", settings)["id"])
    path = out / "event_types.json"
    path.write_text(json.dumps(event_types))
    return path


def prepare_month_view(base: str, key: str, hosts: int, out: Path) -> tuple[Path, int]:
    """What a booking page's month view usually shows: hosts working 09:00-17:00 on weekdays
    (Europe/Berlin), 30-minute event types, each host with bookings spread over the coming
    months. Returns the file of their event type ids, and how many bookings it made."""
    call = api(base, key)
    weekly = {day: [{"start": "09:00", "end": "17:00"}] for day in DAYS[:5]}
    event_types, made = [], 0
    for i in range(hosts):
        host = call(
            "POST", "/hosts", {"name": f"Month {i}", "email": f"month{i}@example.com", "timeZone": "Europe/Berlin"}
        )
        call("PUT", f"/hosts/{host['id']}/schedule", {"weekly": weekly, "overrides": []})
        settings = {"hostId": host["id"], "slug": f"month-{i}", "title": "Month", "lengthInMinutes": 30}
        settings |= {"minimumNoticeMinutes": 0, "bookingWindowDays": 365}
        event_type = call("POST", "/event-types", settings)["id"]
        event_types.append(event_type)
        first = datetime.now(UTC).date()
        for n in range(MONTH_VIEW_BOOKINGS):  # every third weekday, 10:00 or 14:00 Berlin (winter or summer)
            day = first + timedelta(days=2 + 3 * n)
            if day.weekday() >= 5:
                continue
            start = datetime.combine(day, dtime(10 if n % 2 else 14), tzinfo=ZoneInfo("Europe/Berlin"))
            body = {"eventTypeId": event_type, "start": start.isoformat()}
            body["attendee"] = {"name": "Month", "email": "month@example.com", "timeZone": "Europe/Berlin"}
            call("POST", "/bookings", body)
            made += 1
    path = out / "month_event_types.json"
    path.write_text(json.dumps(event_types))
    return path, made


def run_k6(script: Path, base: str, out: Path, name: str, extra: dict[str, str]) -> tuple[int, float, float]:
    """Runs one k6 script (its summary to <name>.json, its log to <name>.log, its dashboard to
    <name>.html); returns k6's exit code and when the scenario started and ended (monotonic)."""
    env = {
        **os.environ,
        **extra,
        "BASE_URL": base,
        "K6_NO_USAGE_REPORT": "true",
        "K6_WEB_DASHBOARD": "true",
        "K6_WEB_DASHBOARD_HOST": "127.0.0.1",
        "K6_WEB_DASHBOARD_PORT": str(free_port()),
        "K6_WEB_DASHBOARD_EXPORT": str(out / f"{name}.html"),
        "K6_WEB_DASHBOARD_PERIOD": "2s",
    }
    command = [str(BIN / "k6"), "run", "--no-usage-report", "--summary-export", str(out / f"{name}.json"), str(script)]
    started: list[float] = []
    with (out / f"{name}.log").open("w") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None

        def follow() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                if START in line and not started:
                    started.append(time.monotonic())
                log.write(line)

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        code = proc.wait()
        reader.join(10)
    ended = time.monotonic()
    return code, (started[0] if started else ended), ended


def snapshot(html: Path) -> Path | None:
    """The report's overview charts as a PNG beside it, by headless Chromium (Debian's, which
    `make load` installs), with no network: the export is self-contained. None without Chromium."""
    chromium = shutil.which("chromium")
    if chromium is None or not html.exists():
        return None
    png = html.with_suffix(".png")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]
    flags += [f"--user-data-dir={html.parent / '.chromium'}", "--virtual-time-budget=5000", "--window-size=1400,1150"]
    subprocess.run(
        [chromium, *flags, f"--screenshot={png}", html.as_uri()], check=False, capture_output=True, timeout=120
    )
    shutil.rmtree(html.parent / ".chromium", ignore_errors=True)
    return png if png.exists() else None


def spike(base: str, event_types: Path, args: argparse.Namespace, out: Path, *, peer: bool) -> tuple[int, float]:
    """The spike shape (spike.js); returns k6's exit code and when the scenario started."""
    extra = {
        "EVENT_TYPES_FILE": str(event_types),
        "RATE": str(args.rate),
        "SPIKE": str(args.spike),
        "HOLD": args.hold,
        "TAIL": args.tail,
        "PEER": "1" if peer else "0",
        "P95_MS": str(args.p95),
        "P99_MS": str(args.p99),
    }
    code, started, _ = run_k6(SCRIPT, base, out, "spike", extra)
    snapshot(out / "spike.html")
    return code, started


def month_view(base: str, event_types: Path, args: argparse.Namespace, out: Path, name: str) -> dict[str, Any]:
    """30-day slot ranges at a steady rate (slots_range.js) on the given, booked, event types."""
    extra = {
        "EVENT_TYPES_FILE": str(event_types),
        "RATE": str(args.range_rate),
        "DURATION": args.range_duration,
        "P95_MS": str(args.range_p95),
    }
    code, _, _ = run_k6(RANGE_SCRIPT, base, out, name, extra)
    metrics = json.loads((out / f"{name}.json").read_text())["metrics"]
    found = metrics.get("slots_range_ms", {})
    return {
        "k6_exit": code,
        "rate": args.range_rate,
        "latency_ms": {k: round(found[k], 2) for k in ("med", "p(95)", "p(99)", "max", "count") if k in found},
        "slots_per_answer": round(metrics.get("slots_offered", {}).get("avg", 0)),
        "unexpected_status": int(metrics.get("unexpected_status", {}).get("count", 0)),
        "dropped_iterations": int(metrics.get("dropped_iterations", {}).get("count", 0)),
    }


def k6_figures(out: Path) -> dict[str, Any]:
    metrics = json.loads((out / "spike.json").read_text())["metrics"]

    def trend(name: str) -> dict[str, float] | None:
        found = metrics.get(name)
        if not found or not found.get("count"):
            return None
        return {k: round(found[k], 2) for k in ("med", "p(95)", "p(99)", "max", "count") if k in found}

    def count(name: str) -> int:
        return int(metrics.get(name, {}).get("count", 0))

    return {
        "create_booking": trend("create_booking_ms"),
        "slots": trend("slots_ms"),
        "reschedule": trend("reschedule_ms"),
        "cancel": trend("cancel_ms"),
        "requests": count("http_reqs"),
        "iterations": count("iterations"),
        "bookings_made": count("bookings_made"),
        "slot_taken_409": count("slot_taken"),
        "rescheduled": count("bookings_rescheduled"),
        "cancelled": count("bookings_cancelled"),
        "changes_skipped": count("changes_skipped"),
        "unexpected_status": count("unexpected_status"),
        "double_click_duplicates": count("double_click_duplicates"),
        "dropped_iterations": count("dropped_iterations"),
        "thresholds_crossed": sorted(
            f"{name}: {rule}"
            for name, m in metrics.items()
            for rule, ok in (m.get("thresholds") or {}).items()
            if ok  # the export marks a crossed threshold true
        ),
    }


def drain(dsn: str, timeout: float) -> float | None:
    """Seconds until no due side effect is left and every reader is at the head; None if never."""
    began = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as db:
        while time.monotonic() - began < timeout:
            head = db.execute("SELECT coalesce(max(notification_id), 0) FROM slotwise_events").fetchone()[0]  # type: ignore[index]
            behind = db.execute("SELECT count(*) FROM projection_position WHERE position < %s", [head]).fetchone()[0]  # type: ignore[index]
            due = db.execute(LEDGER_DUE).fetchone()[0]  # type: ignore[index]
            if not behind and not due:
                return round(time.monotonic() - began, 2)
            time.sleep(0.25)
    return None


def integrity(dsn: str) -> dict[str, int]:
    """What the stores hold after the drain, to hold against what the clients were told."""
    with psycopg.connect(dsn, autocommit=True) as db:
        topics = dict(db.execute("SELECT topic, count(*) FROM slotwise_events GROUP BY topic").fetchall())

        def events(suffix: str) -> int:
            return sum(n for topic, n in topics.items() if topic.endswith(suffix))

        def scalar(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0])  # type: ignore[index]

        return {
            "booking_created_events": events("Booking.Created"),
            "booking_rescheduled_events": events("Booking.Rescheduled"),
            "booking_cancelled_events": events("Booking.Cancelled"),
            "agenda_rows": scalar("SELECT count(*) FROM agenda_entry"),
            "side_effects_done": scalar("SELECT count(*) FROM provider_side_effect WHERE state = 'done'"),
            "side_effects_failed": scalar("SELECT count(*) FROM provider_side_effect WHERE state = 'failed'"),
            "side_effects_pending_due": scalar(LEDGER_DUE),
            "dead_letters": scalar("SELECT count(*) FROM projection_dead_letter"),
            "overlapping_bookings": scalar(
                "SELECT count(*) FROM agenda_entry a JOIN agenda_entry b ON a.host_id = b.host_id"
                " AND a.uid < b.uid AND a.status = 'accepted' AND b.status = 'accepted'"
                ' AND a."start" < b."end" AND b."start" < a."end"'
            ),
        }


def windows(args: argparse.Namespace, started: float) -> dict[str, tuple[float, float]]:
    hold = seconds(args.hold)
    spike_start = started + hold
    spike_end = spike_start + 5 + hold + 5
    return {"steady": (started, spike_start), "spike": (spike_start, spike_end)}


def slotwise(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    dsn = fresh_database(args.pg_url, "slotwise_load")
    port = free_port()
    prefix = f"load-{secrets.token_hex(4)}:"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booking.settings",
        "DATABASE_URL": dsn,
        "SLOTWISE_SECRET_KEY": secrets.token_urlsafe(32),
        "SLOTWISE_VAR_DIR": str(out / "var"),
        "SLOTWISE_CELERY_BROKER_URL": args.redis_url,
        "SLOTWISE_CELERY_PREFIX": prefix,
        "SLOTWISE_REDIS_URL": args.redis_url,
        "SLOTWISE_REDIS_PREFIX": prefix,
        "SLOTWISE_PUBLIC_RATE_LIMITS": "off",
        "SLOTWISE_EMAIL_HOST": "127.0.0.1",
        "SLOTWISE_EMAIL_PORT": str(args.smtp_port),
    }
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [PY, "manage.py", "create_api_key", "load"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    key = made.stdout.strip().splitlines()[-1]
    serve = [PY, "manage.py", "serve", "--port", str(port), "--workers", args.workers, "--threads", args.threads]
    with process(serve, env=env, cwd=ROOT, log=out / "stack.log") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/readyz", proc)
        time.sleep(args.settle)  # every background process up and idle
        idle = idle_figures(proc.pid, dsn, args.idle)
        event_types = prepare(base, key, args.hosts, out)
        working_week, seeded = prepare_month_view(base, key, args.month_hosts, out)
        watcher = Watcher(Processes(proc.pid), dsn)
        with watcher:
            code, started = spike(base, event_types, args, out, peer=False)
            drained = drain(dsn, args.drain_timeout)
        month = month_view(base, working_week, args, out, "slots_month")
        around_the_clock = month_view(base, event_types, args, out, "slots_month_24h")
        stack = watcher.processes.by_role()
        phases = windows(args, started)
        report = {
            "k6_exit": code,
            "k6": k6_figures(out),
            "drain_after_arrivals_s": drained,
            "backlog_after_spike_s": backlog_after_spike(watcher, phases),
            "spike": watcher.report(phases["spike"]),
            "whole_run": watcher.report(None),
            "processes": stack,
            "cpu_s": watcher.processes.cpu_total(),
            "database_cpu_s": watcher.processes.database_cpu(),
            "peak_total_pss_mib": round(watcher.processes.peak_total_pss / 1024, 1),
            "idle": idle,
            "slots_30_days": month,
            "slots_30_days_24h": around_the_clock,
        }
    report["integrity"] = integrity(dsn)
    report["integrity"]["seeded_bookings"] = seeded  # the month view's, made before the clock started
    return report


def backlog_after_spike(watcher: Watcher, phases: dict[str, tuple[float, float]]) -> float | None:
    """Seconds from the end of the spike until the ledger's due work is back to its steady level."""
    steady = sorted(s.ledger_due for s in watcher.samples if phases["steady"][0] <= s.at <= phases["steady"][1])
    level = max(steady[int(0.95 * (len(steady) - 1))] if steady else 0, 5)
    end = phases["spike"][1]
    for sample in watcher.samples:
        if sample.at >= end and sample.ledger_due <= level:
            return round(sample.at - end, 2)
    return None


def idle_figures(root: int, dsn: str | None, duration: float) -> dict[str, Any]:
    """CPU share of one core and memory per process while nothing happens."""
    if duration <= 0:
        return {}
    processes = Processes(root)
    watcher = Watcher(processes, dsn, interval=1.0)
    began = time.monotonic()
    with watcher:
        time.sleep(duration)
    elapsed = time.monotonic() - began
    by_role = processes.by_role()
    return {
        "seconds": round(elapsed, 1),
        "cpu_percent_of_one_core": round(100 * processes.cpu_total() / elapsed, 2),
        "connections": max((s.connections for s in watcher.samples), default=0),
        "total_pss_mib": round(sum(r["peak_pss_mib"] for r in by_role.values()), 1),
        "total_rss_mib": round(sum(r["peak_rss_mib"] for r in by_role.values()), 1),
        "processes": by_role,
    }


def idle_only(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The stack with nothing to do: `make run`'s embedded stores (SQLite, the file broker), or
    the production-like one; its CPU share and its memory, per process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booking.settings",
        "SLOTWISE_SECRET_KEY": secrets.token_urlsafe(32),
        "SLOTWISE_VAR_DIR": str(out / "var"),
    }
    dsn = None
    if args.embedded:
        env.pop("DATABASE_URL", None)
        env.pop("SLOTWISE_CELERY_BROKER_URL", None)
        env.pop("SLOTWISE_REDIS_URL", None)
    else:
        dsn = fresh_database(args.pg_url, "slotwise_load")
        prefix = f"load-{secrets.token_hex(4)}:"
        env.update(DATABASE_URL=dsn, SLOTWISE_CELERY_BROKER_URL=args.redis_url, SLOTWISE_CELERY_PREFIX=prefix)
        env.update(SLOTWISE_REDIS_URL=args.redis_url, SLOTWISE_REDIS_PREFIX=prefix)
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    serve = [PY, "manage.py", "serve", "--port", str(port), "--workers", args.workers, "--threads", args.threads]
    with process(serve, env=env, cwd=ROOT, log=out / "stack.log") as proc:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        time.sleep(args.settle)
        return idle_figures(proc.pid, dsn, args.idle)


def show_idle(name: str, idle: dict[str, Any]) -> None:
    print(f"\n== {name}: idle for {idle['seconds']} s")
    print(f"  CPU {idle['cpu_percent_of_one_core']}% of one core; PG connections {idle['connections']}")
    print(f"  memory {idle['total_pss_mib']} MiB PSS ({idle['total_rss_mib']} MiB RSS, shared pages in every process)")
    for role_name, row in idle["processes"].items():
        print(process_line(role_name, row))


def peer(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    dsn = fresh_database(args.pg_url, "crudpeer_load")
    env = {**os.environ, "PEER_DB": dsn}
    subprocess.run([PY, str(PEER), "migrate"], cwd=PEER.parent, env=env, check=True, capture_output=True)
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", args.workers, "-k", "gthread", "--threads", args.threads]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "crudpeer:app"]
    with process(command, env=env, cwd=PEER.parent, log=out / "peer.log") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/healthz", proc)
        time.sleep(2)
        event_types = prepare(base, "peer", args.hosts, out)
        working_week, _ = prepare_month_view(base, "peer", args.month_hosts, out)
        watcher = Watcher(Processes(proc.pid), None)
        with watcher:
            code, _ = spike(base, event_types, args, out, peer=True)
        return {
            "k6_exit": code,
            "k6": k6_figures(out),
            "processes": watcher.processes.by_role(),
            "cpu_s": watcher.processes.cpu_total(),
            "database_cpu_s": watcher.processes.database_cpu(),
            "slots_30_days": month_view(base, working_week, args, out, "slots_month"),
            "slots_30_days_24h": month_view(base, event_types, args, out, "slots_month_24h"),
        }


@contextmanager
def smtp_sink(port: int, out: Path) -> Iterator[None]:
    """Where the stack's emails go: a real SMTP server that accepts and discards (aiosmtpd)."""
    command = [PY, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"]
    with process(command, env=dict(os.environ), cwd=ROOT, log=out / "smtp.log"):
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield


TREND_STATS = (("p50", "med"), ("p95", "p(95)"), ("p99", "p(99)"), ("max", "max"))


def ms(trend: dict[str, float] | None, stat: str) -> str:
    return f"{trend[stat]:.1f}" if trend and stat in trend else "-"


def ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours is not None and theirs else "-"


def show(name: str, run: dict[str, Any]) -> None:
    k = run["k6"]
    print(f"\n== {name}: k6 exit {run['k6_exit']}")
    for label in ("create_booking", "slots", "reschedule", "cancel"):
        t = k[label]
        if t:
            stats = "  ".join(f"{name} {ms(t, stat):>8}" for name, stat in TREND_STATS)
            print(f"  {label:<15} {stats} ms  n={t['count']:.0f}")
    print(
        f"  requests {k['requests']}  bookings {k['bookings_made']}  409 taken {k['slot_taken_409']}"
        f"  rescheduled {k['rescheduled']}  cancelled {k['cancelled']}  unexpected {k['unexpected_status']}"
        f"  dropped {k['dropped_iterations']}  double-click dupes {k['double_click_duplicates']}"
    )
    for crossed in k["thresholds_crossed"]:
        print(f"  threshold crossed: {crossed}")
    if "drain_after_arrivals_s" in run:
        lag = run["spike"]["projection_lag"]
        whole = run["whole_run"]
        drained, after_spike = run["drain_after_arrivals_s"], run["backlog_after_spike_s"]
        print(f"  drained {drained} s after the arrivals stopped; back to steady {after_spike} s after the spike")
        print(f"  ledger due max {whole['ledger_due_max']}; PG connections max {whole['connections_max']}")
        print(
            "  lag during the spike (p50/p99/max ms): "
            + ", ".join(f"{n} {v['p50_ms']}/{v['p99_ms']}/{v['max_ms']}" for n, v in lag.items())
        )
        print(f"  integrity: {run['integrity']}")
        idle = run.get("idle") or {}
        if idle:
            print(
                f"  idle: {idle['cpu_percent_of_one_core']}% of one core, {idle['connections']} connections,"
                f" {idle['total_pss_mib']} MiB PSS ({idle['total_rss_mib']} MiB RSS)"
            )
    for label, key in (("30-day slots, working week", "slots_30_days"), ("30-day slots, 24/7", "slots_30_days_24h")):
        show_month(label, run.get(key) or {})
    print(f"  CPU seconds: total {run['cpu_s']}")
    for role_name, row in run["processes"].items():
        print(process_line(role_name, row))
    if run.get("database_cpu_s") is not None:
        print(f"    {'PostgreSQL server (all of it, same cores)':<40}     cpu {run['database_cpu_s']:>7.2f} s")


def show_month(label: str, month: dict[str, Any]) -> None:
    if not month:
        return
    t = month["latency_ms"]
    stats = "  ".join(f"{name} {ms(t, stat):>8}" for name, stat in TREND_STATS)
    print(f"  {label} at {month['rate']}/s: {stats} ms  n={t.get('count', 0):.0f}")
    print(f"    about {month['slots_per_answer']} slots an answer")


def process_line(role_name: str, row: dict[str, Any]) -> str:
    memory = f"rss {row['peak_rss_mib']:>7.1f} MiB  pss {row['peak_pss_mib']:>7.1f} MiB"
    return f"    {role_name:<40} x{row['processes']:<2} cpu {row['cpu_s']:>7.2f} s  {memory}"


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    a, b = ours["k6"], theirs["k6"]
    print("\n== side by side (ours / peer)")
    for label in ("create_booking", "slots"):
        for stat in ("med", "p(95)", "p(99)"):
            x, y = (a[label] or {}).get(stat), (b[label] or {}).get(stat)
            print(f"  {label:<15} {stat:<6} {ms(a[label], stat):>9} ms / {ms(b[label], stat):>9} ms  = {ratio(x, y)}")
    for key, label in (("slots_30_days", "30-day slots"), ("slots_30_days_24h", "30 days, 24/7")):
        compare_month(label, ours[key]["latency_ms"], theirs[key]["latency_ms"])
    per_ours = ours["cpu_s"] / max(a["bookings_made"], 1) * 1000
    per_peer = theirs["cpu_s"] / max(b["bookings_made"], 1) * 1000
    cpu = ratio(ours["cpu_s"], theirs["cpu_s"])
    print(f"  CPU seconds      {ours['cpu_s']:>9.1f} s  / {theirs['cpu_s']:>9.1f} s   = {cpu}")
    print(f"  CPU per booking  {per_ours:>9.2f} ms / {per_peer:>9.2f} ms  = {ratio(per_ours, per_peer)}")
    if ours.get("database_cpu_s") is not None and theirs.get("database_cpu_s") is not None:
        db_ours, db_peer = ours["database_cpu_s"], theirs["database_cpu_s"]
        print(f"  PostgreSQL CPU   {db_ours:>9.1f} s  / {db_peer:>9.1f} s   = {ratio(db_ours, db_peer)}")
        with_ours = (ours["cpu_s"] + db_ours) / max(a["bookings_made"], 1) * 1000
        with_peer = (theirs["cpu_s"] + db_peer) / max(b["bookings_made"], 1) * 1000
        both = ratio(with_ours, with_peer)
        print(f"  CPU per booking, PostgreSQL included {with_ours:>6.2f} ms / {with_peer:>6.2f} ms = {both}")


def compare_month(label: str, x: dict[str, float], y: dict[str, float]) -> None:
    for stat in ("med", "p(95)", "p(99)"):
        same = ratio(x.get(stat), y.get(stat))
        print(f"  {label:<15} {stat:<6} {ms(x, stat):>9} ms / {ms(y, stat):>9} ms  = {same}")


def failures(run: dict[str, Any], args: argparse.Namespace) -> list[str]:
    k, found = run["k6"], []
    if k["unexpected_status"] or k["dropped_iterations"] or k["double_click_duplicates"]:
        found.append("errors, dropped arrivals or doubled double clicks")
    if k["thresholds_crossed"]:
        found.append("k6 thresholds crossed: " + "; ".join(k["thresholds_crossed"]))
    for key in ("slots_30_days", "slots_30_days_24h"):
        month = run.get(key) or {}
        if month and (month["unexpected_status"] or month["dropped_iterations"]):
            found.append(f"{key}: {month['unexpected_status']} errors, {month['dropped_iterations']} dropped")
    month = run.get("slots_30_days") or {}  # the target is the working week's month (the 24/7 one is shown)
    if month and month["latency_ms"].get("p(95)", 0) >= args.range_p95:
        found.append(f"30-day slots: p95 {month['latency_ms']['p(95)']} ms, over {args.range_p95} ms")
    if "integrity" in run:
        i = run["integrity"]
        if i["booking_created_events"] != k["bookings_made"] + i["seeded_bookings"]:
            found.append(
                f"{k['bookings_made']} bookings acknowledged (and {i['seeded_bookings']} seeded),"
                f" {i['booking_created_events']} in the store"
            )
        if i["agenda_rows"] != i["booking_created_events"]:
            found.append(f"the agenda holds {i['agenda_rows']} of {i['booking_created_events']} bookings")
        if i["overlapping_bookings"] or i["side_effects_failed"] or i["dead_letters"] or i["side_effects_pending_due"]:
            found.append(f"overlaps, failed side effects, dead letters or stuck work: {i}")
        if run["drain_after_arrivals_s"] is None:
            found.append(f"the stack did not drain within {args.drain_timeout:.0f} s")
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=10, help="steady invitee flows per second (the spike is 10x)")
    ap.add_argument("--spike", type=int, default=10)
    ap.add_argument("--hold", default="45s", help="how long the steady phase and the spike each last")
    ap.add_argument("--tail", default="30s")
    ap.add_argument("--hosts", type=int, default=40)
    ap.add_argument("--month-hosts", type=int, default=8, help="working-week hosts the month view reads")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--threads", default="8")
    ap.add_argument("--p95", type=int, default=300, help="k6 threshold, ms")
    ap.add_argument("--p99", type=int, default=1000, help="k6 threshold, ms")
    ap.add_argument("--range-rate", type=int, default=50, help="30-day slot ranges per second, after the spike")
    ap.add_argument("--range-duration", default="30s")
    ap.add_argument("--range-p95", type=int, default=20, help="k6 threshold for the 30-day ranges, ms")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--settle", type=float, default=5, help="seconds to let the stack start up")
    ap.add_argument("--idle", type=float, default=30, help="seconds of idle measurement before the load")
    ap.add_argument("--drain-timeout", type=float, default=300)
    ap.add_argument("--compare", action="store_true", help="then run the CRUD peer and print the ratios")
    ap.add_argument("--smoke", action="store_true", help="the tripwire: rate 2, 10 s phases, loose thresholds")
    ap.add_argument("--idle-only", action="store_true", help="no load: the idle stack's CPU share and memory")
    ap.add_argument("--embedded", action="store_true", help="with --idle-only: make run's SQLite and file broker")
    ap.add_argument("--out", default=str(ROOT / "var" / "load"))
    args = ap.parse_args()
    if args.smoke:
        args.rate, args.hold, args.tail, args.hosts, args.idle, args.month_hosts = 2, "15s", "10s", 8, 5, 2
        args.p95, args.p99, args.drain_timeout = 3000, 6000, 120
        args.range_rate, args.range_duration, args.range_p95 = 10, "10s", 3000
    kind = "idle-embedded" if args.idle_only and args.embedded else "idle" if args.idle_only else f"rate{args.rate}"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + ("smoke" if args.smoke else kind)
    out = Path(args.out) / stamp
    out.mkdir(parents=True)
    if args.idle_only:
        idle = idle_only(args, out)
        (out / "summary.json").write_text(
            json.dumps({"stamp": stamp, "embedded": args.embedded, "idle": idle}, indent=2)
        )
        show_idle("embedded stack (make run)" if args.embedded else "production-like stack", idle)
        print(f"\nsummary: {out / 'summary.json'}")
        return 0
    args.smtp_port = free_port()
    (out / "slotwise").mkdir()
    with smtp_sink(args.smtp_port, out):
        ours = slotwise(args, out / "slotwise")
    summary: dict[str, Any] = {"stamp": stamp, "arguments": {k: v for k, v in vars(args).items()}, "slotwise": ours}
    show("slotwise (whole stack)", ours)
    found = failures(ours, args)
    if args.compare:
        (out / "peer").mkdir()
        theirs = peer(args, out / "peer")
        summary["peer"] = theirs
        show("crudpeer (plain CRUD)", theirs)
        compare(ours, theirs)
        found += [f"peer: {f}" for f in failures(theirs, args) if "threshold" not in f]
    summary["failures"] = found
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    latest = Path(args.out) / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(stamp)
    print(f"\nsummary: {out / 'summary.json'}\nreport:  {out / 'slotwise' / 'spike.html'}")
    for failure in found:
        print(f"FAILED: {failure}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
