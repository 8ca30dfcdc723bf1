"""The embedded budget (the database, no Redis) holds across the web server's worker processes:
real gunicorn, two workers, as `make run` serves."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from booking.application import Slotwise
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.limits_support import slots_query
from tests.integration.server import call, gunicorn

HOLD = 5  # seconds a lookup holds its worker, waiting for a position the views never reach
LIMITS = {
    "SLOTWISE_REDIS_URL": "",  # the embedded store
    "SLOTWISE_PUBLIC_RATE_LIMITS": "on",  # the suite's environment has them off
    "SLOTWISE_PUBLIC_RATE_LIMIT": "60/hour",
    "SLOTWISE_PUBLIC_READ_RATE_LIMIT": "2/hour",
    "SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT": "off",
    # one connection at a time per worker: a second request at the same moment goes to the other
    "GUNICORN_CMD_ARGS": "--worker-connections 1",
    "SLOTWISE_READ_WAIT_SECONDS": str(HOLD),
}


def test_two_gunicorn_workers_draw_on_one_embedded_budget(app: Slotwise, api: Api) -> None:
    # given two workers of one thread each, and a budget of two slot lookups per address
    event_type = make_event_type(api, make_host(api))
    with gunicorn(workers=2, threads=1, env=LIMITS) as base:
        # when two lookups are served side by side, each holding its worker for HOLD seconds, so
        # each is served by a different worker process
        held = slots_query(event_type) + "&minPosition=999999999"
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda _: _ended(base, held), range(2)))
        assert [status for status, _ in answers] == [503, 503]  # not caught up: each took from the budget first
        # side by side they end together; one after the other, the second would end a whole HOLD later
        (_, first), (_, second) = answers
        assert abs(first - second) < HOLD / 2, f"they ended {abs(first - second):.1f} s apart"
        # then a third lookup finds the budget spent, whichever worker serves it
        status, body = call(base, "GET", slots_query(event_type))
    assert status == 429 and body["code"] == "rate_limited", body


def _ended(base: str, path: str) -> tuple[int, float]:
    """The status of a GET, and when its answer came."""
    status, _ = call(base, "GET", path)
    return status, time.monotonic()
