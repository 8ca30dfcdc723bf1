"""The web worker: gunicorn's own gthread worker, which answers 503 instead of letting a request
wait for a thread longer than SLOTWISE_QUEUE_TIMEOUT_MS.

gthread accepts connections on its main thread and queues each connection whose request is
ready (newly accepted, a kept-alive one that became readable, a deferred one whose data came)
for its thread pool. When every thread is busy that queue only grows, and a request waits in it
for seconds. This worker stamps a connection when it is queued; the thread that picks it up
measures how long it waited, and a request that waited longer than the bound is answered there
and then, without Django: `503` problem+json `overloaded`, `Retry-After: 1`, `Connection: close`.
Its body (up to 64 KiB, for at most a second) is read and thrown away first, so the client is
sending nothing when the connection closes and reads a clean answer, not a reset.

A burst that fills the queue and drains again is what the queue is for, and the bound lets it.
Once the worker has had to shed, though, more arrives than its threads serve, and shedding only
what waited past the bound would leave every request that is served waiting about the whole
bound first. So from a shed request until a whole bound has passed without one, the worker
sheds what waited a tenth of the bound (CoDel's idea: keep the standing queue short, not just
bounded): under sustained overload the requests that are served start within 100 ms by
default, and the full bound applies again once the overload is over.

Nothing of a shed request ran: no middleware, no view, no transaction. A client may send it
again as it was; a booking retried with the same Idempotency-Key is made once.

Never shed: `/healthz` (liveness: a kubelet would restart a pod for being busy) and `/metrics`
(the scrape shows the overload, the shed counter included, when it is wanted most; one request
per scrape interval). `/readyz` is shed: a saturated pod then fails its readiness probe and the
balancer sends its traffic elsewhere until it catches up.

Only HTTP/1 requests are judged; HTTP/2 (not enabled in our configuration) is served as gthread
serves it. Time in the kernel's accept backlog is not seen, so the main thread takes every
pending connection when it wakes (`accept`), not one: the waiting happens in the measured queue.
A new connection counts from when it is accepted; its client is expected to send at once.

Every shed request counts in `slotwise_http_requests_shed_total`. The log gets at most one
WARNING line a second per worker (`waitedMs` of that request, `alsoShed` since the last line):
at three times capacity a worker sheds hundreds a second, and a line each would spend on JSON
and redaction the CPU the shedding saves.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from gunicorn.http import wsgi
from gunicorn.workers.gthread import ThreadWorker
from prometheus_client import Counter

SETTING = "SLOTWISE_QUEUE_TIMEOUT_MS"
DEFAULT_MS = 1000
NEVER_SHED = frozenset({"/healthz", "/metrics"})
RETRY_AFTER_SECONDS = 1
DRAIN_SECONDS = 1.0  # at most this long reading a shed request's body
SUSTAINED_FRACTION = 10  # after shedding, until a whole bound passes without, shed at bound / 10
LOG_EVERY_SECONDS = 1.0

log = logging.getLogger("slotwise.overload")


def queue_timeout_ms(environ: Mapping[str, str] = os.environ) -> int:
    """SLOTWISE_QUEUE_TIMEOUT_MS: whole milliseconds, 0 never sheds; unset or empty is 1000."""
    raw = environ.get(SETTING, "").strip() or str(DEFAULT_MS)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7):
        raise RuntimeError(f"{SETTING} must be whole milliseconds from 0 (never shed) to 9999999, not {raw!r}")
    return int(raw)


@cache
def shed_counter() -> Counter:
    """Made in the worker process, after the fork: the master process never counts."""
    return Counter(
        "slotwise_http_requests_shed",
        f"Requests answered 503 overloaded without being run: they waited longer than {SETTING} for a thread.",
    )


class ShedLog:
    """One WARNING line a second at most, counting the shed requests it did not log."""

    def __init__(self, every: float = LOG_EVERY_SECONDS) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._next = 0.0
        self._unlogged = 0

    def shed(self, method: str, path: str, waited_ms: float, limit_ms: float, bound_ms: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._unlogged += 1
                return
            self._next = now + self.every
            unlogged, self._unlogged = self._unlogged, 0
        log.warning(
            "request shed: it waited too long for a thread",
            extra={
                "method": method,
                "path": path,
                "status": 503,
                "waitedMs": round(waited_ms, 1),
                "limitMs": round(limit_ms, 1),  # the bound, or a tenth of it after shedding
                "queueTimeoutMs": bound_ms,
                "alsoShed": unlogged,  # since the previous line, not logged one by one
            },
        )


class SheddingWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no type information
    """gunicorn's gthread worker, shedding what waited longer than the bound for a thread."""

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        queue_timeout_ms()  # in the master, before any worker starts: a malformed value stops gunicorn

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue_timeout_ms = queue_timeout_ms()
        self.queue_timeout = self.queue_timeout_ms / 1000
        self.sustained_timeout = self.queue_timeout / SUSTAINED_FRACTION
        self.last_shed = -math.inf  # when this worker last shed a request (time.monotonic)
        self.shed_log = ShedLog()
        self.shed_body = b""
        self.shed_headers: list[tuple[str, str]] = []

    def load_wsgi(self) -> None:
        super().load_wsgi()
        # Django is set up now: the answer is built once, by the one problem+json helper
        from booking.rest.problems import problem

        detail = (
            f"every thread of this server is busy and the request waited too long for one (at most "
            f"{self.queue_timeout_ms} ms); nothing of it ran, so it may be sent again as it was (same "
            f"Idempotency-Key) after {RETRY_AFTER_SECONDS} s"
        )
        answer = problem("overloaded", detail)
        self.shed_body = answer.content
        self.shed_headers = [
            ("Content-Type", answer["Content-Type"]),
            ("Content-Length", str(len(self.shed_body))),
            ("Retry-After", str(RETRY_AFTER_SECONDS)),
            ("X-Content-Type-Options", "nosniff"),
        ]
        self.shed_total = shed_counter()

    def accept(self, listener: Any) -> None:
        # gthread accepts one connection per wake-up of its main thread. While the threads hold
        # the GIL, each wake-up waits up to the switch interval (5 ms), so a worker accepted a
        # few hundred connections a second at most and the rest waited in the kernel's backlog,
        # where no stamp sees them. All that are pending are taken now, into the measured queue.
        while self.nr_conns < self.worker_connections:
            accepted = self.nr_conns
            super().accept(listener)
            if self.nr_conns == accepted:  # nothing pending (or an error gthread ignores)
                return

    def enqueue_req(self, conn: Any) -> None:
        conn.slotwise_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        # a thread has it now: how long it waited in the pool's queue, and the limit that applies
        # (a tenth of the bound while this worker has shed within the last bound)
        now = time.monotonic()
        sustained = now - self.last_shed < self.queue_timeout
        conn.slotwise_limit = self.sustained_timeout if sustained else self.queue_timeout
        conn.slotwise_waited = now - getattr(conn, "slotwise_queued_at", now)
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> bool:
        # one request per hand-over to a thread is judged by that hand-over's wait
        waited, conn.slotwise_waited = getattr(conn, "slotwise_waited", 0.0), 0.0
        limit = getattr(conn, "slotwise_limit", self.queue_timeout)
        if self.queue_timeout and waited > limit and req.path not in NEVER_SHED:
            return self.shed(req, conn, waited, limit)
        return bool(super().handle_request(req, conn))

    def shed(self, req: Any, conn: Any, waited: float, limit: float) -> bool:
        """Answers 503 overloaded without running the request; False: the connection closes."""
        started = datetime.now()
        self.last_shed = time.monotonic()  # threads race to write it: any of their times will do
        self.shed_total.inc()
        self.shed_log.shed(req.method, req.path, waited * 1000, limit * 1000, self.queue_timeout_ms)
        expects_continue = any(n == "EXPECT" and v.lower() == "100-continue" for n, v in req.headers)
        if not expects_continue:  # a client waiting for 100 Continue sends no body after a final answer
            conn.parser.finish_body(deadline=time.monotonic() + DRAIN_SECONDS)
        resp = wsgi.Response(req, conn.sock, self.cfg)
        resp.force_close()
        resp.start_response("503 Service Unavailable", self.shed_headers)
        resp.write(self.shed_body)
        resp.close()
        # the FIN follows the answer at once: gthread's main thread closes the connection after
        # this returns, lingering until the client's FIN, and by then it has usually come
        conn.sock.shutdown(socket.SHUT_WR)
        environ = wsgi.default_environ(req, conn.sock, self.cfg)
        environ["REMOTE_ADDR"] = conn.client[0] if isinstance(conn.client, tuple) else ""
        self.log.access(resp, req, environ, datetime.now() - started)
        return False
