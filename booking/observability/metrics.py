"""Prometheus metrics, served at /metrics (per process, or every worker's in multiprocess mode).

Under gunicorn, `manage.py serve` points PROMETHEUS_MULTIPROC_DIR at a directory under var/
so that every worker's samples are summed into one answer.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess

RESOLVER_SECONDS = Histogram(
    "slotwise_graphql_resolver_seconds",
    "Time spent in each GraphQL resolver (Type.field) or data-loader batch (loader:<name>).",
    ["field"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
GRAPHQL_COST = Histogram(
    "slotwise_graphql_query_cost",
    "The computed cost of each executed GraphQL operation.",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000),
)


def metrics(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
