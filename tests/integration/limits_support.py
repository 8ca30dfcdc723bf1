"""For the limit tests: public limits turned on explicitly (the suite runs with them off), callers
at chosen addresses, and the two stores a shared budget lives in (the real Redis, the database)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.test import Client

from providers.gcra import parse_rate
from tests.integration.conftest import Api
from tests.integration.graphql_support import Gql
from tests.integration.side_effects_support import REDIS_BROKER

# Tuesday 2026-01-06 in Berlin (UTC+1): the working day's thirty-minute slots from 09:00, in UTC
DAY = [f"2026-01-06T{8 + half // 2:02d}:{30 * (half % 2):02d}:00+00:00" for half in range(16)]


@pytest.fixture(params=["redis", "database"])
def store(request: Any, settings: Any) -> str:
    """Each limit test runs on the real Redis (a corner of its own) and on the database store."""
    if request.param == "redis":
        settings.SLOTWISE_REDIS_URL = REDIS_BROKER
        settings.SLOTWISE_REDIS_PREFIX = f"slotwise-test-{uuid4().hex[:10]}"
    else:
        settings.SLOTWISE_REDIS_URL = ""
    return str(request.param)


def limits_on(
    settings: Any,
    writes: str = "60/hour",
    reads: str = "120/hour",
    event_type_writes: str = "off",
    event_type_reads: str = "off",
    trusted_proxies: int = 0,
) -> None:
    """Per hour unless a test says otherwise, so nothing refills while a test runs."""
    settings.SLOTWISE_PUBLIC_RATE_LIMITS = True
    settings.SLOTWISE_PUBLIC_RATE_LIMIT = parse_rate(writes)
    settings.SLOTWISE_PUBLIC_READ_RATE_LIMIT = parse_rate(reads)
    settings.SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT = parse_rate(event_type_writes)
    settings.SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT = parse_rate(event_type_reads)
    settings.SLOTWISE_TRUSTED_PROXY_COUNT = trusted_proxies


def rest_from(address: str) -> Api:
    """A public REST caller whose connection comes from `address` (REMOTE_ADDR)."""
    caller = Api()
    caller.client = Client(REMOTE_ADDR=address)
    return caller


def graphql_from(address: str, cancel_token: str | None = None) -> Gql:
    caller = Gql(cancel_token=cancel_token)
    caller.client = Client(REMOTE_ADDR=address)
    return caller


def booking(event_type: str, start: str, email: str = "bo@example.com") -> dict[str, Any]:
    return {"eventTypeId": event_type, "start": start, "attendee": {"name": "Bo", "email": email, "timeZone": "UTC"}}


def slots_query(event_type: str) -> str:
    return f"/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-06&timeZone=Europe/Berlin"
