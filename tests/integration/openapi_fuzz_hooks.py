"""schemathesis hooks for `test_openapi_fuzz.py`: rules the OpenAPI document cannot state, applied
to the requests that are meant to be valid (positive mode), never to the invalid ones.

JSON Schema describes one value at a time. A few of our rules relate two values (a range's end is
not before its start, working hours do not overlap, an override date appears once) or a value and
the server's state (a booking's start must be an offered slot; an Idempotency-Key means one request
for good; minPosition waits for a position the views have reached, or answers 503 by design).
Without these hooks a request the document allows would be refused for a reason the document cannot
show, and schemathesis would rightly report it; with them, every positive request is one a careful
client could send. The test tells the hooks its world through FUZZ_STARTS (a file of starts that
FUZZ_EVENT_TYPE offers, one per line), FUZZ_POSITION (a log position every view has reached) and
FUZZ_CALDAV_URL, _USERNAME, _PASSWORD (a real calendar on loopback).

A calendar connect calls the URL in its body, and only the calendar server can say whether a
username and password are good, so in every mode each of those three that is a string is the loopback
calendar's own: what is invalid in such a request is then the rest (schemathesis judges the request
again after the hook, so one made valid this way is checked as valid).
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from uuid import uuid4

import schemathesis

OAUTH = ("google", "microsoft")  # providers.connect.OAUTH_PROVIDERS: the calendars connected by OAuth
MAX_SLOT_DAYS = 62  # booking.slots.MAX_DAYS: kept here, as this module runs inside schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Right before each request is sent, in every phase (stateful steps fill in values from links
    after generation, so a generation hook would not see what is sent)."""
    if case.query and _position(case.query.get("minPosition")) is not None:
        # in any mode: a request invalid for another reason must not wait for a position never reached
        case.query["minPosition"] = str(min(_position(case.query["minPosition"]), int(os.environ["FUZZ_POSITION"])))
    path = case.operation.path
    if path.endswith("/calendars") and case.operation.method.upper() == "POST" and isinstance(case.body, dict):
        _calendar_on_loopback(case.body)
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    if case.query:
        _ordered_range(case.query, "start", "end", MAX_SLOT_DAYS if path.endswith("/slots") else None)
        _ordered_range(case.query, "from", "to", None)
    if path.endswith(("/bookings", "/reschedule")) and isinstance(case.body, dict) and "start" in case.body:
        case.body["start"] = random.choice(_offered())
        if "eventTypeId" in case.body:  # also when a stateful step took another one from a link
            case.body["eventTypeId"] = os.environ["FUZZ_EVENT_TYPE"]
    if path.endswith("/connect") and case.path_parameters and case.path_parameters.get("provider") not in OAUTH:
        # a stateful step fills {provider} from a connected calendar's (caldav), which this path's enum
        # does not allow, and schemathesis does not judge a value taken from a link again
        case.path_parameters["provider"] = random.choice(OAUTH)
    if path.endswith("/schedule") and isinstance(case.body, dict):
        _consistent_schedule(case.body)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"fuzz-{uuid4()}"  # a fresh key: a reused one must differ in body


def _calendar_on_loopback(body: dict[str, Any]) -> None:
    for field in ("url", "username", "password"):
        if isinstance(body.get(field), str):
            body[field] = os.environ[f"FUZZ_CALDAV_{field.upper()}"]


@cache
def _offered() -> list[str]:
    return Path(os.environ["FUZZ_STARTS"]).read_text().split()


def _ordered_range(query: dict[str, Any], first: str, last: str, most_days: int | None) -> None:
    start, end = _date(query.get(first)), _date(query.get(last))
    if start is None or end is None:
        return
    start, end = min(start, end), max(start, end)
    if most_days is not None and (end - start).days >= most_days:
        end = start + timedelta(days=most_days - 1)
    query[first], query[last] = start.isoformat(), end.isoformat()


def _consistent_schedule(body: dict[str, Any]) -> None:
    """Each day's intervals sorted, each one forward and none overlapping; each override date once."""
    weekly = body.get("weekly")
    if isinstance(weekly, dict):
        for day, intervals in weekly.items():
            if isinstance(intervals, list):
                weekly[day] = _disjoint(intervals)
    overrides = body.get("overrides")
    if isinstance(overrides, list):
        seen: set[Any] = set()
        kept = []
        for override in overrides:
            key = override.get("date") if isinstance(override, dict) else None
            if key in seen:
                continue
            seen.add(key)
            if isinstance(override, dict) and isinstance(override.get("intervals"), list):
                override["intervals"] = _disjoint(override["intervals"])
            kept.append(override)
        body["overrides"] = kept


def _disjoint(intervals: list[Any]) -> list[Any]:
    forward = [i for i in intervals if isinstance(i, dict) and str(i.get("start")) < str(i.get("end"))]
    forward.sort(key=lambda i: str(i["start"]))
    kept: list[Any] = []
    for interval in forward:
        if not kept or str(kept[-1]["end"]) <= str(interval["start"]):
            kept.append(interval)
    return kept


def _position(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18 else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
