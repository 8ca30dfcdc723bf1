"""Create-booking benchmark: the API under gunicorn against PostgreSQL, driven by k6 at fixed rates.

    python tests/bench/create_booking.py [--pg-url postgres://postgres@127.0.0.1:5432]

Prints throughput and p50/p95/p99 at 100 bookings/s for 30 s (conflict-free slots), then
steps the rate up to find the highest one that holds p95 under 100 ms with no errors and no
dropped iterations. Client and server share this machine's cores; the figures say so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from support import K6, PY, ROOT, fresh_database, served, sh

DB = "slotwise_bench"
HOSTS = 8


def prepare(pg_url: str, env: dict[str, str]) -> list[dict[str, str]]:
    """A fresh database, hosts open around the clock, and a list of distinct free slots."""
    key = fresh_database(pg_url, DB, env)
    script = f"""
import json
from booking.bootstrap import get_app
from booking.api_keys import organisation_for
from booking.domain.schedule import Schedule, WEEKDAYS
app = get_app(); org = organisation_for({key!r}); out = []
for i in range({HOSTS}):
    host = app.register_host(org, f"Host {{i}}", f"h{{i}}@example.com", "UTC").subject
    always = {{d: [{{"start": "00:00", "end": "24:00"}}] for d in WEEKDAYS}}
    app.change_schedule(org, host.id, Schedule.parse(always, []))
    et = app.create_event_type(org, host.id, {{"slug": "bench", "title": "Bench", "length_in_minutes": 15,
                                              "booking_window_days": 730}}).subject
    out.append(str(et.id))
print(json.dumps(out))
"""
    event_types = json.loads(sh(PY, "manage.py", "shell", "-c", script, env=env).strip().splitlines()[-1])
    # spread bookings over hosts and days, as real traffic does; every start is distinct and on the grid
    first = datetime.now(UTC).date() + timedelta(days=2)
    slots = []
    for n in range(60_000):
        host, rest = n % HOSTS, n // HOSTS
        day, quarter = rest % 365, (rest // 365) % 96
        start = datetime.combine(first + timedelta(days=day), dtime(0), tzinfo=ZoneInfo("UTC"))
        slots.append({"eventTypeId": event_types[host], "start": (start + timedelta(minutes=15 * quarter)).isoformat()})
    return slots


def k6(config: Path, rate: int, duration: str, offset: int, run: str) -> dict[str, float]:
    summary = Path(tempfile.mkstemp(suffix=".json")[1])
    env = {
        **os.environ,
        "BENCH_CONFIG": str(config),
        "RATE": str(rate),
        "DURATION": duration,
        "OFFSET": str(offset),
        "RUN": run,
        "K6_NO_USAGE_REPORT": "true",
        "VUS": str(max(50, rate // 2)),
    }
    subprocess.run(
        [
            K6,
            "run",
            "--quiet",
            "--no-usage-report",
            "--summary-export",
            str(summary),
            str(ROOT / "tests/bench/create_booking.js"),
        ],
        env=env,
        check=False,
        capture_output=True,
    )
    metrics = json.loads(summary.read_text())["metrics"]
    summary.unlink()
    duration_ms = (
        metrics["http_req_duration{name:create_booking}"]
        if "http_req_duration{name:create_booking}" in metrics
        else metrics["http_req_duration"]
    )
    checks = metrics["checks"]
    return {
        "requests": metrics["http_reqs"]["count"],
        "rate": metrics["http_reqs"]["rate"],
        "p50": duration_ms["med"],
        "p95": duration_ms["p(95)"],
        "p99": duration_ms["p(99)"],
        "max": duration_ms["max"],
        "failed": checks.get("fails", 0),
        "dropped": metrics.get("dropped_iterations", {}).get("count", 0),
    }


def line(label: str, r: dict[str, float]) -> str:
    return (
        f"{label:<24} {r['requests']:>6.0f} req  {r['rate']:>7.1f}/s  p50 {r['p50']:6.2f} ms  "
        f"p95 {r['p95']:6.2f} ms  p99 {r['p99']:6.2f} ms  max {r['max']:7.2f} ms  "
        f"non-201 {r['failed']:.0f}  dropped {r['dropped']:.0f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--port", type=int, default=18765)
    ap.add_argument("--workers", default="2")
    ap.add_argument("--threads", default="8")
    args = ap.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg_url}/{DB}",
        "DJANGO_SETTINGS_MODULE": "booking.settings",
        "SLOTWISE_LOG_LEVEL": "WARNING",
        # k6 books from one loopback address, far over the public limits: measure the API, not them
        "SLOTWISE_PUBLIC_RATE_LIMITS": "off",
    }
    slots = prepare(args.pg_url, env)
    base = f"http://127.0.0.1:{args.port}"
    config = Path(tempfile.mkstemp(suffix=".json")[1])
    config.write_text(json.dumps({"base": base, "slots": slots}))
    with served(args.port, env, args.workers, args.threads):
        print(
            f"machine: {os.cpu_count()} cores shared by k6, gunicorn ({args.workers} workers x {args.threads} "
            f"threads) and PostgreSQL; {date.today()}"
        )
        offset, run = 0, str(int(time.time()))
        warm = k6(config, 50, "5s", offset, run)
        offset += int(warm["requests"]) + 10
        fixed = k6(config, 100, "30s", offset, run)
        offset += int(fixed["requests"]) + 10
        print(line("warm-up 50/s x 5 s", warm))
        print(line("fixed 100/s x 30 s", fixed))
        best = 0
        for rate in (150, 200, 300, 400, 500, 600, 800):
            stepped = k6(config, rate, "15s", offset, run)
            offset += int(stepped["requests"]) + 10
            print(line(f"step {rate}/s x 15 s", stepped))
            if stepped["p95"] >= 100 or stepped["failed"] or stepped["dropped"]:
                break
            best = rate
        print(f"max sustained rate with p95 < 100 ms, no errors, no drops: {best}/s (steps tried up to the first miss)")
    config.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
