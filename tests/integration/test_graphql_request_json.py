"""Deeply nested JSON in a GraphQL request is a 400 before it is parsed, never a RecursionError."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.graphql_support import BOOK, Gql, GqlReply

QUERY = "query($v: ID) { agendaStats(hostId: $v) { key } }"
STATS = '{"query": "{ agendaStats { key } }", '


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def _objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda g: g.get({"query": QUERY, "variables": '{"v": ' + _nested(100_000) + "}"}), id="get-variables"
        ),
        pytest.param(lambda g: g.get({"query": QUERY, "extensions": _objects(100_000)}), id="get-extensions"),
        pytest.param(
            lambda g: g.raw(STATS + '"variables": {"v": ' + _nested(25_000) + "}}"),
            id="post-variables",
        ),
        pytest.param(lambda g: g.raw(STATS + '"extensions": ' + _objects(8_000) + "}"), id="post-extensions"),
        pytest.param(lambda g: g.raw(_nested(30_000)), id="post-body"),
        pytest.param(lambda g: g.raw(STATS + '"variables": {"v": ' + _nested(40) + "}}"), id="just-over"),
    ],
)
def test_json_nested_too_deep_is_refused_with_400(api_key: str, send: Any) -> None:
    # when a request's JSON nests arrays or objects past the limit
    reply: GqlReply = send(Gql(api_key))
    # then it is a 400 that says so, not a 500
    assert reply.status == 400, reply.body
    assert reply.codes == ["json_too_deep"]


def test_nesting_under_the_limit_is_parsed_and_coercion_refuses_what_does_not_fit(api_key: str) -> None:
    gql = Gql(api_key)
    # given values nested up to the limit (the body and `variables` are two levels), where an ID
    # and an input object are expected
    deep_list = json.loads(_nested(30))
    deep_object = json.loads(_objects(29))
    for variables in ({"v": deep_list}, {"v": deep_object}):
        # then coercion refuses them as variables that do not fit their types
        reply = gql(QUERY, variables)
        assert reply.status == 200 and reply.codes == ["invalid_variables"], reply.body
    # (body, variables, input and attendee are four levels of their own)
    person = {"name": json.loads(_objects(28)), "email": json.loads(_nested(28)), "timeZone": "UTC"}
    booking = gql(BOOK, {"input": {"eventTypeId": "x", "start": "x", "attendee": person}})
    assert booking.status == 200 and set(booking.codes) == {"invalid_variables"}, booking.body
    # and a string full of brackets is only a string
    assert gql(QUERY, {"v": "[" * 5000}).codes == ["validation_error"]
