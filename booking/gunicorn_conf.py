"""gunicorn settings every deployment shares (`gunicorn -c booking/gunicorn_conf.py`).

After a worker has loaded Django and the schema, its objects are moved out of the garbage
collector's sight (`gc.freeze`): they live as long as the process, and without this every
full collection walks them all, which shows up as tens-of-milliseconds stalls in the tail
latency of allocation-heavy requests (large GraphQL pages, agenda lists).

The worker is gunicorn's own gthread worker (threads share one application per worker: one
aggregate cache, one store pool) with a bound on how long a request may wait for a thread:
past SLOTWISE_QUEUE_TIMEOUT_MS (default 1000, 0 never) it is answered 503 `overloaded` with
Retry-After instead of being run late (booking/web_worker.py). The bound is read from the
environment by the worker class, in the master at start-up (a malformed value stops gunicorn)
and in each worker.
"""

from __future__ import annotations

import gc
from typing import Any

worker_class = "booking.web_worker.SheddingWorker"


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
    # a request allocates tens of thousands of short-lived objects (rows, dicts, GraphQL
    # paths); collecting the young generation every 700 allocations costs more than it frees
    gc.set_threshold(50_000, 20, 20)
