"""REST and GraphQL read a JSON body by one set of rules (booking/json_body.py): the same bytes get
the same refusal, with the same code, under one nesting limit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.integration.graphql_support import Gql

JSON = "application/json"
HOST = {"name": "Ada", "email": "ada@example.com", "timeZone": "UTC"}
QUERY = "{ agendaStats { key } }"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _with(extra: str) -> bytes:
    """A body both APIs would otherwise take (a host for REST, a document for GraphQL) plus `extra`."""
    return ('{"query": "' + QUERY + '", ' + ", ".join(f'"{k}": "{v}"' for k, v in HOST.items()) + extra + "}").encode()


CAFE = _with(', "x": "caf\u00e9"')
BODIES = {
    # text: the test client encodes it in the charset the Content-Type names
    "in latin-1": (CAFE.decode(), f"{JSON}; charset=latin-1", 415, "unsupported_media_type"),
    "invalid utf-8": (CAFE.replace("\u00e9".encode(), b"\xe9"), JSON, 400, "malformed_json"),
    "in utf-16": (CAFE.decode().encode("utf-16"), JSON, 400, "malformed_json"),
    "not json": (b'{"query": ', JSON, 400, "malformed_json"),
    "a number of 5,000 digits": (_with(', "x": ' + "9" * 5000), JSON, 400, "malformed_json"),
    "nested one level past the limit": (_with(f', "x": {_nested(32)}'), JSON, 400, "json_too_deep"),
}


def _rest(api: Api, body: str | bytes, content_type: str) -> tuple[int, str | None]:
    reply = api.post("/hosts", raw=body, headers={"Content-Type": content_type})
    return reply.status, reply.code


def _graphql(api_key: str, body: str | bytes, content_type: str) -> tuple[int, list[str]]:
    reply = Gql(api_key).raw(body, content_type=content_type)
    return reply.status, reply.codes


@pytest.mark.parametrize("case", BODIES.values(), ids=BODIES.keys())
def test_a_body_one_api_refuses_the_other_refuses_alike(api: Api, api_key: str, case: tuple[Any, ...]) -> None:
    body, content_type, status, code = case
    # when the same bytes are sent to REST and to GraphQL
    rest, graphql = _rest(api, body, content_type), _graphql(api_key, body, content_type)
    # then both refuse them with the same status and code
    assert rest == (status, code)
    assert graphql == (status, [code])


def test_the_bodies_without_their_fault_are_read_by_both(api: Api, api_key: str) -> None:
    # the control: what the cases above add is what gets them refused (REST reads the body, then
    # refuses the fields a host does not have)
    for body in (CAFE, _with(f', "x": {_nested(31)}')):
        assert _rest(api, body, JSON) == (422, "validation_error")
        assert _graphql(api_key, body, JSON) == (200, [])


def test_one_setting_sets_how_deep_both_apis_take_a_body(api: Api, api_key: str, settings: Any) -> None:
    # given a nesting limit of 4
    settings.SLOTWISE_MAX_JSON_DEPTH = 4
    over, under = _with(f', "x": {_nested(4)}'), _with(f', "x": {_nested(3)}')  # the body itself is a level
    # then five levels are refused by both, four are not
    assert _rest(api, over, JSON) == (400, "json_too_deep")
    assert _graphql(api_key, over, JSON) == (400, ["json_too_deep"])
    assert _rest(api, under, JSON) == (422, "validation_error")
    assert _graphql(api_key, under, JSON) == (200, [])
    # and GraphQL's GET parameters are held to it too
    variables = {"query": QUERY, "variables": json.dumps({"v": json.loads(_nested(4))})}
    assert Gql(api_key).get(variables).codes == ["json_too_deep"]


def test_a_limit_set_past_what_the_parser_can_recurse_is_still_a_400(api: Api, api_key: str, settings: Any) -> None:
    # given a limit far past the interpreter's recursion limit
    settings.SLOTWISE_MAX_JSON_DEPTH = 1_000_000
    body = _with(f', "x": {_nested(30_000)}')  # under the size limit
    # then a body the parser cannot descend is refused as too deep, by both
    assert _rest(api, body, JSON) == (400, "json_too_deep")
    assert _graphql(api_key, body, JSON) == (400, ["json_too_deep"])
