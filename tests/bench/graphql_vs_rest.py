"""GraphQL vs REST: the same agenda page of 50 bookings, side by side, in one run.

    python tests/bench/graphql_vs_rest.py [--pg-url postgres://postgres@127.0.0.1:5432]

The API runs under gunicorn against PostgreSQL with the agenda view caught up. REST answers
GET /api/v1/agenda?limit=50; GraphQL answers the `Agenda` operation of docs/graphql/agenda.graphql
(host and event type nested on every booking) sent as a persisted query (hash only). A third
line times what a REST client needs for the same data (the agenda, then hosts and event
types: one page view, three calls). Each runs at a fixed arrival rate (p50/p95/p99) and
then flat out with a fixed pool of users (throughput). Target: GraphQL p95 within 1.5x of
the single REST call. k6, gunicorn and PostgreSQL share this machine's cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

from support import K6, PY, ROOT, fresh_database, served, sh

DB = "slotwise_bench_graphql"
DOCUMENT = (ROOT / "docs/graphql/agenda.graphql").read_text()


def prepare(pg_url: str, env: dict[str, str]) -> str:
    """A fresh database: two hosts, an event type each, 50 bookings, the views caught up."""
    key = fresh_database(pg_url, DB, env)
    script = f"""
from datetime import UTC, datetime, timedelta
from booking.api_keys import organisation_for
from booking.bootstrap import get_app
from booking.domain.schedule import WEEKDAYS, Schedule
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
app = get_app(); org = organisation_for({key!r}); types = []
for i in range(2):
    host = app.register_host(org, f"Host {{i}}", f"h{{i}}@example.com", "Europe/Berlin").subject
    always = {{d: [{{"start": "00:00", "end": "24:00"}}] for d in WEEKDAYS}}
    app.change_schedule(org, host.id, Schedule.parse(always, []))
    types.append(app.create_event_type(org, host.id, {{"slug": "intro", "title": f"Intro {{i}}",
                                                     "length_in_minutes": 30}}).subject.id)
first = datetime(2027, 1, 4, 8, tzinfo=UTC)
for n in range(50):
    start = first + timedelta(days=n // 10, minutes=30 * (n % 10))
    person = {{"name": f"Guest {{n}}", "email": f"guest{{n % 12}}@example.com", "timeZone": "America/New_York"}}
    app.book_slot(types[n % 2], start, person)
for view in VIEWS.values():
    Projector(view, LogSource(app)).catch_up()
"""
    sh(PY, "manage.py", "shell", "-c", script, env=env)
    return key


def k6(config: Path, target: str, mode: str, duration: str, rate: int = 0, vus: int = 0) -> dict[str, float]:
    summary = Path(tempfile.mkstemp(suffix=".json")[1])
    env = {
        **os.environ,
        "BENCH_CONFIG": str(config),
        "TARGET": target,
        "MODE": mode,
        "RATE": str(rate),
        "VUS": str(vus),
        "DURATION": duration,
        "K6_NO_USAGE_REPORT": "true",
    }
    script = str(ROOT / "tests/bench/graphql_vs_rest.js")
    run = [K6, "run", "--quiet", "--no-usage-report", "--summary-export", str(summary), script]
    subprocess.run(run, env=env, check=False, capture_output=True)
    metrics = json.loads(summary.read_text())["metrics"]
    summary.unlink()
    # one iteration is one page shown: a single call, or three for REST with the same data
    timing = metrics["iteration_duration"] if target == "rest-same-data" else metrics["http_req_duration"]
    pages = metrics["iterations"]  # one page shown per iteration (three calls for rest-same-data)
    return {
        "requests": pages["count"],
        "rate": pages["rate"],
        "p50": timing["med"],
        "p95": timing["p(95)"],
        "p99": timing["p(99)"],
        "failed": metrics["checks"].get("fails", 0),
        "dropped": metrics.get("dropped_iterations", {}).get("count", 0),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--port", type=int, default=18766)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--duration", default="15s")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vus", type=int, default=8)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg_url}/{DB}",
        "DJANGO_SETTINGS_MODULE": "booking.settings",
        "SLOTWISE_LOG_LEVEL": "WARNING",
        # persisted queries shared by both workers, as in production
        "SLOTWISE_REDIS_URL": args.redis_url,
        "SLOTWISE_REDIS_PREFIX": f"slotwise-bench-{int(time.time())}",
    }
    key = prepare(args.pg_url, env)
    base = f"http://127.0.0.1:{args.port}"
    digest = hashlib.sha256(DOCUMENT.encode()).hexdigest()
    config = Path(tempfile.mkstemp(suffix=".json")[1])
    config.write_text(json.dumps({"base": base, "key": key, "hash": digest, "from": "2027-01-01", "to": "2027-01-31"}))
    with served(args.port, env):
        # register the document once (APQ), as a client's first call does; every worker then parses it once
        body = {
            "query": DOCUMENT,
            "variables": {"first": 50},
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        }
        request = urllib.request.Request(
            f"{base}/graphql",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = json.loads(response.read())
        assert len(reply["data"]["agenda"]["edges"]) == 50, reply
        cores, cost = os.cpu_count(), reply["extensions"]["cost"]["requested"]
        print(f"machine: {cores} cores shared by k6, gunicorn (2 workers x 8 threads) and PostgreSQL; {date.today()}")
        print(f"agenda page of 50 bookings; GraphQL with host and event type nested (cost {cost})")
        for target in ("rest", "graphql"):
            k6(config, target, "vus", "3s", vus=4)  # warm-up
        targets = ("rest", "rest-same-data", "graphql")
        # the fixed-rate runs are interleaved in rounds, so drift on the shared cores hits all alike
        rounds: dict[str, list[dict[str, float]]] = {t: [] for t in targets}
        for _ in range(args.rounds):
            for target in targets:
                rounds[target].append(k6(config, target, "rate", args.duration, rate=args.rate))
        flat = {target: k6(config, target, "vus", "15s", vus=args.vus) for target in targets}
        fixed_label = f"fixed {args.rate}/s, {args.rounds} rounds x {args.duration} (median of rounds)"
        print(f"{'':<15} {fixed_label:<58} flat out, {args.vus} users x 15 s")
        p95 = {}
        for target in targets:
            med = {k: statistics.median(r[k] for r in rounds[target]) for k in ("p50", "p95", "p99")}
            fails = sum(r["failed"] + r["dropped"] for r in rounds[target])
            p95[target] = med["p95"]
            f = flat[target]
            print(
                f"{target:<15} p50 {med['p50']:6.2f} ms  p95 {med['p95']:6.2f} ms  p99 {med['p99']:6.2f} ms  "
                f"fail+drop {fails:.0f}        {f['rate']:7.1f} pages/s  p50 {f['p50']:6.2f} ms  "
                f"p95 {f['p95']:6.2f} ms  fail {f['failed']:.0f}"
            )
        spread = ", ".join(f"{g['p95'] / r['p95']:.2f}" for g, r in zip(rounds["graphql"], rounds["rest"], strict=True))
        print(
            f"GraphQL p95 / REST p95 (the one agenda call) at {args.rate}/s: {p95['graphql'] / p95['rest']:.2f}x "
            f"(target <= 1.5x; per round: {spread})"
        )
        same = p95["graphql"] / p95["rest-same-data"]
        print(f"GraphQL p95 / REST p95 with the same data (agenda, hosts, event types): {same:.2f}x")
    config.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
