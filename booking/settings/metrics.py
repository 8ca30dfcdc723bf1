"""Who may read /metrics.

SLOTWISE_METRICS_TOKEN set: only requests with `Authorization: Bearer <token>` (what Prometheus
sends with `authorization: {credentials: ...}` in its scrape config). Unset: only clients on the
loopback interface (the embedded default, where the scraper runs on the same machine).
"""

import os

SLOTWISE_METRICS_TOKEN = os.environ.get("SLOTWISE_METRICS_TOKEN", "")
