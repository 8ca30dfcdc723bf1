"""Fragments that spread fragments are refused at once, before validation or the cost walk can expand them."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import Gql
from tests.unit.test_graphql_expansion import doubling

CPU_BUDGET = 0.1  # seconds of this process's CPU for one refused request


def _cancel_token_booking(api: Api, public: Api) -> tuple[str, str]:
    event_type = make_event_type(api, make_host(api))
    made = public.post(
        "/bookings", {"eventTypeId": event_type, "start": "2026-01-06T08:00:00Z", "attendee": attendee()}
    )
    assert made.status == 201, made.body
    return str(made.data["uid"]), str(made.data["cancelToken"])


def _cpu_of(gql: Gql, document: str) -> tuple[float, list[str]]:
    started = time.process_time()
    reply = gql(document)
    return time.process_time() - started, reply.codes


def test_thirty_doublings_are_refused_in_under_a_tenth_of_a_second_of_cpu(
    api: Api, public: Api, project: Callable[[], None]
) -> None:
    # given a booking its attendee reads with the cancel token, and a warm endpoint
    uid, token = _cancel_token_booking(api, public)
    project()
    gql = Gql(cancel_token=token)
    gql('{ booking(uid: "x") { uid } }')
    # when a kilobyte whose fragments double thirty times is sent, with no key
    spent, codes = _cpu_of(Gql(), doubling(30))
    # then it is refused, and refusing it cost almost nothing
    assert codes == ["too_many_fragment_spreads"]
    assert spent < CPU_BUDGET, f"{spent:.3f} s of CPU"
    # and the same shape with three levels still runs
    three = gql(doubling(3).replace('"x"', f'"{uid}"'))
    assert not three.errors, three.body
    assert three.data == {"booking": {"uid": uid}}


def test_fewer_spreads_that_still_expand_too_far_are_refused_by_their_field_count() -> None:
    # given twenty doublings: forty spreads, a million fields once spread
    spent, codes = _cpu_of(Gql(), doubling(20))
    # then the expanded size refuses it, as fast
    assert codes == ["too_many_fields"]
    assert spent < CPU_BUDGET, f"{spent:.3f} s of CPU"


def test_the_refusals_say_the_limits_and_are_400_for_graphql_response_clients() -> None:
    accept = {"Accept": "application/graphql-response+json"}
    spreads = Gql()(doubling(30), headers=accept)
    assert spreads.status == 400 and "data" not in spreads.body
    assert spreads.errors[0]["extensions"] == {
        "code": "too_many_fragment_spreads",
        "fragmentSpreads": 61,
        "maxFragmentSpreads": 50,
    }
    fields = Gql()(doubling(20), headers=accept)
    assert fields.status == 400 and fields.errors[0]["extensions"] == {"code": "too_many_fields", "maxFields": 1000}
