"""How many requests of this process are waiting for the views, and the bound on them.

A read with `minPosition` holds its worker thread while it waits; without a bound, enough of
them (or one GraphQL document asking several times) would hold every thread. Past the bound a
read is refused at once, so the client retries later instead of queueing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TooManyWaiting(Exception):
    """Enough reads are already waiting for the views in this process; retry shortly."""

    retry_after = 1  # seconds

    def __init__(self, most: int) -> None:
        super().__init__(f"{most} reads are already waiting for the views")
        self.most = most


_lock = threading.Lock()
_waiting = 0


def waiting() -> int:
    """The reads of this process waiting right now."""
    return _waiting


@contextmanager
def slot(most: int) -> Iterator[None]:
    """Holds one of `most` places for a waiting read, else raises TooManyWaiting at once."""
    global _waiting
    with _lock:
        if _waiting >= most:
            raise TooManyWaiting(most)
        _waiting += 1
    try:
        yield
    finally:
        with _lock:
            _waiting -= 1
