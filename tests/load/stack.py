"""What a load run watches from outside: the processes of a stack (CPU seconds, memory) and, on
PostgreSQL, the database (connections, how far each view and the dispatcher are behind, the
side-effect ledger). Only /proc and plain SQL: the run must not load the system it measures."""

from __future__ import annotations

import bisect
import os
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def children(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read(f"/proc/{entry}/stat")
            if stat:
                parents[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _argv(pid: int) -> list[str]:
    return _read(f"/proc/{pid}/cmdline").split("\0")


def _program(pid: int) -> str:
    """The interpreter's script or module, not its arguments (a supervisor's plan names others)."""
    argv = _argv(pid)
    return " ".join(argv[:3]) if len(argv) > 1 and argv[1] == "-m" else " ".join(argv[:2])


def role(pid: int, root: int) -> str:
    """A readable name for one of the stack's processes, from its command line."""
    argv, program = _argv(pid), _program(pid)
    stat = _read(f"/proc/{pid}/stat")
    parent = int(stat.rsplit(")", 1)[1].split()[1]) if stat else 0
    if "booking.supervisor" in program or ("manage.py" in program and "serve" in argv):
        return "supervisor (manage.py serve)"
    if "gunicorn" in program:  # a worker is a gunicorn forked by a gunicorn
        return "gunicorn worker" if "gunicorn" in _program(parent) else "gunicorn master"
    if "run_projector" in argv:
        return "projector " + " ".join(
            a for a in argv[argv.index("run_projector") + 1 :] if a and not a.startswith("-")
        )
    if "dispatch_side_effects" in argv:
        return "dispatcher and views (one process)" if "--views" in argv else "dispatcher"
    if "relay_events" in argv:
        return "relay"
    if "celery" in program and "beat" in argv:
        return "celery beat"
    if "celery" in program and "worker" in argv:
        return "celery worker's beat (-B)" if "celery" in _program(parent) else "celery worker"
    return Path(argv[0]).name if argv and argv[0] else f"pid {pid}"


def cpu_seconds(pid: int) -> float:
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def database_cpu_seconds() -> float | None:
    """CPU seconds the PostgreSQL server on this machine has used so far: every `postgres`
    process, plus the backends that have exited (in the postmaster's children's time). The
    stack's queries cost CPU there too, on the same cores. None when no server runs here."""
    total, found = 0.0, False
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or _read(f"/proc/{entry}/comm").strip() != "postgres":
            continue
        stat = _read(f"/proc/{entry}/stat")
        if not stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found = True
        total += int(fields[11]) + int(fields[12])
        if _read(f"/proc/{fields[1]}/comm").strip() != "postgres":  # the postmaster
            total += int(fields[13]) + int(fields[14])
    return total / TICK if found else None


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident, proportional) set size: shared pages count once in the total of PSS."""
    rss = pss = 0
    for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


@dataclass
class Processes:
    """Per process of a tree: CPU seconds used since `start()`, and its largest memory."""

    root: int
    base: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    peak_rss: dict[int, int] = field(default_factory=dict)
    peak_pss: dict[int, int] = field(default_factory=dict)
    peak_total_pss: int = 0

    database_base: float | None = None
    database_last: float | None = None

    def start(self) -> None:
        self.base = {pid: cpu_seconds(pid) for pid in children(self.root)}
        self.last = dict(self.base)
        self.database_base = self.database_last = database_cpu_seconds()

    def sample(self) -> None:
        total = 0
        for pid in children(self.root):
            self.roles.setdefault(pid, role(pid, self.root))
            used = cpu_seconds(pid)
            if used:
                self.last[pid] = used
            rss, pss = memory_kib(pid)
            self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), rss)
            self.peak_pss[pid] = max(self.peak_pss.get(pid, 0), pss)
            total += pss
        self.peak_total_pss = max(self.peak_total_pss, total)
        self.database_last = database_cpu_seconds()

    def database_cpu(self) -> float | None:
        """What the PostgreSQL server used since `start()` (None if it is not on this machine)."""
        if self.database_base is None or self.database_last is None:
            return None
        return round(self.database_last - self.database_base, 2)

    def by_role(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for pid, used in self.last.items():
            name = self.roles.get(pid) or role(pid, self.root)
            row = out.setdefault(name, {"processes": 0, "cpu_s": 0.0, "peak_rss_mib": 0.0, "peak_pss_mib": 0.0})
            row["processes"] += 1
            row["cpu_s"] += used - self.base.get(pid, 0.0)
            row["peak_rss_mib"] += self.peak_rss.get(pid, 0) / 1024
            row["peak_pss_mib"] += self.peak_pss.get(pid, 0) / 1024
        for row in out.values():
            row["cpu_s"] = round(row["cpu_s"], 2)
            row["peak_rss_mib"] = round(row["peak_rss_mib"], 1)
            row["peak_pss_mib"] = round(row["peak_pss_mib"], 1)
        return dict(sorted(out.items()))

    def cpu_total(self) -> float:
        return round(sum(row["cpu_s"] for row in self.by_role().values()), 2)


EVENTS = "slotwise_events"
LEDGER_DUE = (
    "SELECT count(*) FROM provider_side_effect WHERE state = 'pending' AND (not_before IS NULL OR not_before <= now())"
)


@dataclass
class Sample:
    at: float
    head: int
    positions: dict[str, int]
    ledger_due: int
    connections: int


class Watcher:
    """Samples a stack every `interval` seconds in a thread while a load runs."""

    def __init__(self, processes: Processes, dsn: str | None, interval: float = 0.1) -> None:
        self.processes = processes
        self.dsn = dsn
        self.interval = interval
        self.samples: list[Sample] = []
        self.first_seen: list[tuple[float, int]] = []  # (time, head) whenever the head moved
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._db: psycopg.Connection[Any] | None = None
        self._every = 0

    def __enter__(self) -> Watcher:
        if self.dsn:
            self._db = psycopg.connect(self.dsn, autocommit=True)
        self.processes.start()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.processes.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._every += 1
            if self._every % 10 == 0:  # /proc is walked once a second; the database ten times
                self.processes.sample()
            if self._db is not None:
                self.samples.append(self.database())

    def database(self) -> Sample:
        assert self._db is not None
        with self._db.cursor() as cur:
            cur.execute(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS}")
            head = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute("SELECT name, position FROM projection_position")
            positions = {name: int(position) for name, position in cur.fetchall()}
            cur.execute(LEDGER_DUE)
            due = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            connections = int(cur.fetchone()[0])  # type: ignore[index]
        now = time.monotonic()
        if not self.first_seen or head > self.first_seen[-1][1]:
            self.first_seen.append((now, head))
        return Sample(now, head, positions, due, connections)

    def lag(self, sample: Sample, position: int) -> float:
        """How long the oldest event `position` has not applied has been waiting, at most: from
        the last sample that had not yet seen it (so it errs long by up to one interval)."""
        if position >= sample.head:
            return 0.0
        heads = [head for _, head in self.first_seen]
        first = bisect.bisect_right(heads, position)  # the first sample whose head included it
        before = self.first_seen[first - 1][0] if first > 0 else self.first_seen[0][0]
        return max(sample.at - before, 0.0)

    def report(self, window: tuple[float, float] | None) -> dict[str, Any]:
        """Lag per reader (p50/p99/max, in the window when given), connections, ledger depth."""
        chosen = [s for s in self.samples if window is None or window[0] <= s.at <= window[1]]
        readers = sorted({name for s in self.samples for name in s.positions})
        lags = {}
        for name in readers:
            values = sorted(self.lag(s, s.positions[name]) for s in chosen if name in s.positions)
            if values:
                lags[name] = {
                    "p50_ms": round(1000 * statistics.median(values)),
                    "p99_ms": round(1000 * values[min(len(values) - 1, int(0.99 * len(values)))]),
                    "max_ms": round(1000 * values[-1]),
                }
        return {
            "samples": len(chosen),
            "projection_lag": lags,
            "connections_max": max((s.connections for s in self.samples), default=0),
            "ledger_due_max": max((s.ledger_due for s in self.samples), default=0),
        }
