"""Prometheus metrics, served at /metrics (per process, or every worker's in multiprocess mode).

Under gunicorn, `manage.py serve` points PROMETHEUS_MULTIPROC_DIR at a directory under var/
so that every worker's samples are summed into one answer. Only the scraper may read them:
the bearer token in SLOTWISE_METRICS_TOKEN when it is set, loopback clients otherwise (clients on
this host talking to us directly, booking.clients.on_this_host: not through a proxy).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from booking.clients import on_this_host
from booking.rest.problems import problem

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


class SideEffectLedger(Collector):
    """The side-effect ledger as it stands, read when scraped: work waiting, dead letters and
    suppressions (rows by state), and how long the oldest waiting row has waited, per handler.
    Workers run elsewhere; the ledger is where their progress shows."""

    def collect(self) -> Iterator[Metric]:
        from providers.models import SideEffect

        rows = GaugeMetricFamily(
            "slotwise_side_effects", "Side effects in the ledger, by handler and state.", labels=["handler", "state"]
        )
        for found in SideEffect.objects.values("handler", "state").annotate(n=Count("id")).order_by():
            rows.add_metric([found["handler"], found["state"]], found["n"])
        yield rows
        oldest = GaugeMetricFamily(
            "slotwise_side_effect_oldest_pending_seconds",
            "Age of the oldest side effect still pending, by handler.",
            labels=["handler"],
        )
        now = timezone.now()
        pending = (
            SideEffect.objects.filter(state=SideEffect.PENDING).values("handler").annotate(first=Min("created_at"))
        )
        for found in pending.order_by():
            oldest.add_metric([found["handler"]], (now - found["first"]).total_seconds())
        yield oldest


def metrics(request: HttpRequest) -> HttpResponse:
    """Every process's samples and the ledger's, for the scraper only (see `refusal`)."""
    if (refused := refusal(request)) is not None:
        return refused
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    ledger = CollectorRegistry(auto_describe=False)
    ledger.register(SideEffectLedger())
    return HttpResponse(generate_latest(registry) + generate_latest(ledger), content_type=CONTENT_TYPE_LATEST)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read the metrics; otherwise the problem+json answer saying why not."""
    token = settings.SLOTWISE_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # compare_digest: how much of a guess matched must not show in the time the answer takes
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        detail = "send Authorization: Bearer with the metrics token"
        return problem("unauthorized", detail, [("Authorization", detail)], headers={"WWW-Authenticate": "Bearer"})
    if on_this_host(request):
        return None
    return problem("forbidden", "metrics are served to loopback clients only unless SLOTWISE_METRICS_TOKEN is set")
