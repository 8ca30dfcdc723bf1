"""Read-your-writes: how long a read waits for the views, and how many reads may wait at once."""

import os

# The most one request waits for the views to reach its `minPosition`, however many fields ask.
SLOTWISE_READ_WAIT_SECONDS = float(os.environ.get("SLOTWISE_READ_WAIT_SECONDS", "2"))
# Waiting requests per process; more are refused at once (503, Retry-After) rather than hold a
# thread each. Half of the default 8 threads per worker, so waits never take them all.
SLOTWISE_MAX_WAITING_READS = int(os.environ.get("SLOTWISE_MAX_WAITING_READS", "4"))
