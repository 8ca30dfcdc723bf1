"""Read-your-writes waits hold a worker thread: once per request, bounded in time and in number."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from projections import read_waits
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql
from tests.support import Reply

UNREACHED = 999_999_999_999


def _aliases(count: int, position: int) -> str:
    """`count` reads of one booking (a nullable field: one refusal does not end the others)."""
    uid = "00000000-0000-4000-8000-000000000000"
    fields = " ".join(f'b{n}: booking(uid: "{uid}", minPosition: {position}) {{ uid }}' for n in range(count))
    return "{ " + fields + " }"


def test_five_fields_waiting_for_an_unreached_position_wait_once_for_the_request(api_key: str, settings: Any) -> None:
    # given a bound of one second on a request's wait
    settings.SLOTWISE_READ_WAIT_SECONDS = 1.0
    gql = Gql(api_key)
    gql("{ agendaStats { key } }")  # the endpoint's first request imports and builds the schema
    # when one document asks five times for a position the views will not reach
    started = time.monotonic()
    reply = gql(_aliases(5, UNREACHED))
    elapsed = time.monotonic() - started
    # then every field says not_caught_up, and the request waited about once, not five times
    # (five waits take 5 s or more; the margin is for a busy machine, not for a second wait)
    assert reply.codes == ["not_caught_up"] * 5, reply.body
    assert elapsed < 4 * settings.SLOTWISE_READ_WAIT_SECONDS, f"waited {elapsed:.2f} s"


def test_a_position_already_reached_is_not_looked_up_again_in_the_same_request(
    api: Api, public: Api, project: Callable[[], None], api_key: str
) -> None:
    # given a booking the views have applied
    made = public.post(
        "/bookings",
        {"eventTypeId": make_event_type(api, make_host(api)), "start": "2026-01-06T08:00:00Z", "attendee": attendee()},
    )
    position = made.body["meta"]["position"]
    project()
    # when three fields ask for that position (or an earlier one)
    document = f"""{{ a: agenda(minPosition: {position}) {{ edges {{ cursor }} }}
      b: agenda(first: 1, minPosition: {position}) {{ edges {{ cursor }} }}
      s: agendaStats(minPosition: {position - 1}) {{ key }} }}"""
    with CaptureQueriesContext(connection) as captured:
        reply = Gql(api_key)(document)
    # then they answer, and the views' positions were read once
    assert not reply.errors, reply.body
    assert len(reply.data["a"]["edges"]) == 1 and reply.data["s"] != []
    assert sum("projection_position" in q["sql"] for q in captured.captured_queries) == 1


def _in_thread(call: Callable[[], Any], into: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            into.append(call())
        finally:
            connections.close_all()  # this thread's own database connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _until_waiting(count: int) -> None:
    deadline = time.monotonic() + 10
    while read_waits.waiting() < count:
        assert time.monotonic() < deadline, f"only {read_waits.waiting()} reads waiting"
        time.sleep(0.01)


def test_a_read_past_the_waiting_limit_is_refused_at_once_with_retry_after(api_key: str, settings: Any) -> None:
    # given two reads already waiting for a position the views will not reach, and a limit of two
    settings.SLOTWISE_MAX_WAITING_READS = 2
    settings.SLOTWISE_READ_WAIT_SECONDS = 5
    waited: list[Reply] = []
    threads = [_in_thread(lambda: Api(api_key).get(f"/agenda?minPosition={UNREACHED}"), waited) for _ in range(2)]
    _until_waiting(2)
    # when a third REST read, and a GraphQL read, would wait too
    rest = Api(api_key).get(f"/agenda?minPosition={UNREACHED}")
    graphql = Gql(api_key)(_aliases(1, UNREACHED))
    # then both are refused with 503 and Retry-After, and at once: the two reads are still waiting
    assert rest.status == 503 and rest.code == "too_many_waiting" and rest.headers["Retry-After"] == "1", rest.body
    assert graphql.status == 503 and graphql.codes == ["too_many_waiting"], graphql.body
    assert graphql.body["errors"][0]["extensions"]["retryAfter"] == 1 and "data" not in graphql.body
    assert read_waits.waiting() == 2 and all(thread.is_alive() for thread in threads)
    # and the waiting reads end as they would have, freeing their places
    for thread in threads:
        thread.join(timeout=10)
    assert [r.code for r in waited] == ["not_caught_up"] * 2
    assert read_waits.waiting() == 0


def test_with_no_places_a_read_that_would_wait_is_refused_and_one_that_need_not_is_answered(
    api: Api, public: Api, project: Callable[[], None], api_key: str, settings: Any
) -> None:
    # given a booking the views have applied, and no place for a waiting read
    made = public.post(
        "/bookings",
        {"eventTypeId": make_event_type(api, make_host(api)), "start": "2026-01-06T08:00:00Z", "attendee": attendee()},
    )
    project()
    settings.SLOTWISE_MAX_WAITING_READS = 0
    # then reads of what the views have are answered, over REST and GraphQL
    position = made.body["meta"]["position"]
    assert api.get(f"/agenda?minPosition={position}").status == 200
    assert not Gql(api_key)(
        _aliases(1, position).replace('"00000000-0000-4000-8000-000000000000"', f'"{made.data["uid"]}"')
    ).errors
    # and a GraphQL read that would wait is a 503 whose Retry-After is a header too
    response = Gql(api_key).client.post(
        "/graphql",
        data={"query": _aliases(1, UNREACHED)},
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert response.status_code == 503 and response["Retry-After"] == "1"


@pytest.mark.parametrize("raw", ["²", "١٢", "12\n", "-1", "1" * 19, "", "1.0", " 1"])
def test_rest_min_position_takes_ascii_digits_only(api: Api, public: Api, raw: str) -> None:
    event_type = make_event_type(api, make_host(api))
    slots = f"/slots?eventTypeId={event_type}&start=2026-01-06&end=2026-01-07&timeZone=UTC"
    for reply in (api.get(f"/agenda?minPosition={quote(raw)}"), public.get(f"{slots}&minPosition={quote(raw)}")):
        assert reply.status == 422 and reply.code == "validation_error", (raw, reply.body)
        assert reply.fields == ["minPosition"]


@pytest.mark.parametrize(
    ("argument", "variables", "code"),
    [
        ("-1", None, "graphql_validation_failed"),  # inline: the document does not validate
        ("1000000000000000000000000000000", None, "graphql_validation_failed"),
        ("$p", {"p": "1e30"}, "validation_error"),  # a variable: refused naming minPosition, as REST's
        ("$p", {"p": 10**19}, "validation_error"),
        ("$p", {"p": "²"}, "validation_error"),
        ("$p", {"p": [1]}, "validation_error"),
    ],
)
def test_graphql_min_position_out_of_range_is_refused_not_a_500(
    api_key: str, argument: str, variables: dict[str, Any] | None, code: str
) -> None:
    declared = "($p: BigInt)" if variables else ""
    reply = Gql(api_key)(f"query{declared} {{ agenda(minPosition: {argument}) {{ edges {{ cursor }} }} }}", variables)
    assert reply.status == 200 and reply.codes == [code], reply.body
