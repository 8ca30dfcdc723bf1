"""Real processes for side-effect tests: the dispatcher and Celery workers on the machine's Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from uuid import uuid4

from django.conf import settings

from providers.dispatcher import Dispatcher
from providers.models import SideEffect
from tests.integration.server import ROOT, django_env

REDIS_BROKER = "redis://127.0.0.1:6379/3"


def broker_env(**extra: str) -> dict[str, str]:
    """A private corner of the real Redis broker for one test, shared by the processes it starts
    (and by the test itself, through `share_redis`): queues, rate limits, breakers, busy times."""
    corner = f"slotwise-test-{uuid4().hex[:10]}"
    return {
        **django_env(),
        "SLOTWISE_CELERY_BROKER_URL": REDIS_BROKER,
        "SLOTWISE_CELERY_PREFIX": f"{corner}:",
        "SLOTWISE_REDIS_URL": REDIS_BROKER,
        "SLOTWISE_REDIS_PREFIX": corner,
        "SLOTWISE_CELERY_VISIBILITY_TIMEOUT": "5",
        "SLOTWISE_SIDE_EFFECT_LEASE_SECONDS": "10",
        "SLOTWISE_CREDENTIALS_KEY": settings.SLOTWISE_CREDENTIALS_KEY,
        "SLOTWISE_LOG_LEVEL": "WARNING",
        **extra,
    }


def share_redis(settings: Any, env: dict[str, str]) -> None:
    """Points this test's own process at the same Redis corner as the processes it starts."""
    settings.SLOTWISE_REDIS_URL = env["SLOTWISE_REDIS_URL"]
    settings.SLOTWISE_REDIS_PREFIX = env["SLOTWISE_REDIS_PREFIX"]


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A process in its own group, so a kill -9 takes its children with it."""
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )


def worker(env: dict[str, str], concurrency: int = 4) -> subprocess.Popen[bytes]:
    args = ["-m", "celery", "-A", "booking.celery", "worker", "-Q", "providers,notifications,webhooks"]
    return start([*args, "-c", str(concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle"], env)


def dispatcher(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return start(["manage.py", "dispatch_side_effects"], env)


def kill9(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@contextmanager
def running(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            # the group, not only its leader: a pool child that outlived its parent would keep
            # consuming this test's queues (and holding what it holds) into the tests after it
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def wait_until(check: Callable[[], bool], timeout: float, what: str, explain: Callable[[], str] | None = None) -> None:
    """`explain`: what to say besides, when the wait runs out (the state that did not come)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{explain()}" if explain else ""))
        time.sleep(0.05)


def ledger_state(limit: int = 40) -> str:
    """The side-effect rows not done yet and the dispatcher's position: why a drill's wait ran out."""
    from projections.models import ProjectionPosition

    rows = SideEffect.objects.exclude(state=SideEffect.DONE).order_by("id")[:limit]
    lines = [
        f"{r.id} {r.handler} {r.state} attempts={r.attempts} not_before={r.not_before} "
        f"claimed_until={r.claimed_until} enqueued_at={r.enqueued_at} error={(r.last_error or '')[:200]!r}"
        for r in rows
    ]
    done = SideEffect.objects.filter(state=SideEffect.DONE).count()
    positions = dict(ProjectionPosition.objects.values_list("name", "position"))
    return "\n".join([f"done: {done}; positions: {positions}; not done:", *lines])


def processes_state(*procs: subprocess.Popen[bytes]) -> str:
    """Whether each process a drill started still runs (a wait that ran out may be a dead worker)."""
    return "; ".join(
        f"{' '.join(proc.args[1:4]) if isinstance(proc.args, list) else proc.args}: "
        f"{'running' if proc.poll() is None else f'exited {proc.returncode}'}"
        for proc in procs
    )


class Recorder(Dispatcher):
    """The dispatcher's recording half: the test runs each task itself instead of a worker."""

    def publish(self, limit: int = 1000) -> int:
        return 0
