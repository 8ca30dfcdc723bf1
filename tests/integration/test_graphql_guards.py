"""What /graphql refuses before running anything, and how: codes, statuses, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from booking.application import Slotwise
from tests.integration.conftest import Api, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql, operation, reply_of
from tests.support import events_in

GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}
DEEP = (
    "{ agenda { edges { node { attendee { bookings { host { eventTypes { host { eventTypes "
    "{ host { name } } } } } } } } } } } "
)
COSTLY = """query($n: Int, $m: Int) { agenda(first: 100) { edges { node {
  attendee { bookings(first: $n) { host { eventTypes(first: $m) { title } } } } } } } }"""


def _cost(n: int, m: int) -> int:
    """COSTLY by the rule in booking/graphql/cost.py (a list: price + size x (1 + item))."""
    event_types = 1 + m * (1 + 0)
    host = 1 + event_types
    bookings = 1 + n * (1 + host)
    node = 1 + (1 + bookings)  # node, attendee
    edges = 1 + 1 * (1 + node)
    return 10 + 100 * (1 + edges)


def test_depth_aliases_and_cost_are_limited_before_anything_runs(api: Api, api_key: str) -> None:
    gql = Gql(api_key)
    deep = gql(DEEP)
    assert deep.codes == ["query_too_deep"] and deep.errors[0]["extensions"]["depth"] == 11
    assert deep.errors[0]["extensions"]["maxDepth"] == 10 and "data" not in deep.body
    assert deep.errors[0]["extensions"]["cost"] > 0  # every refusal says what the document would cost
    aliased = gql("{ " + " ".join(f"a{n}: agendaStats {{ key }}" for n in range(31)) + " }")
    assert aliased.codes == ["too_many_aliases"] and aliased.errors[0]["extensions"]["aliases"] == 31
    costly = gql(COSTLY, {"n": 100, "m": 100})
    assert costly.codes == ["query_too_costly"]
    ext = costly.errors[0]["extensions"]
    assert ext["cost"] == _cost(100, 100) == 1_030_610 and ext["maxCost"] == 5000
    # the same document with small list sizes runs, and says what it cost
    cheap = gql(COSTLY, {"n": 1, "m": 1})
    assert not cheap.errors and cheap.body["extensions"]["cost"] == {"requested": _cost(1, 1), "maximum": 5000}
    # the refusal is a 400 for clients that ask for the GraphQL response media type
    assert gql(DEEP, headers=GRAPHQL_RESPONSE).status == 400


def test_introspection_is_off_unless_enabled(settings: Any) -> None:
    refused = Gql()("{ __schema { queryType { name } } }")
    assert refused.codes == ["graphql_validation_failed"] and "introspection" in refused.errors[0]["message"]
    settings.SLOTWISE_GRAPHQL_INTROSPECTION = True
    allowed = Gql()("{ __schema { queryType { name } } }")
    assert allowed.data == {"__schema": {"queryType": {"name": "Query"}}}


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        (lambda g: g.raw("{not json"), 400, "malformed_json"),
        (lambda g: g.raw("[1, 2]"), 400, "bad_request"),
        (lambda g: g(None), 400, "bad_request"),
        (lambda g: g.raw(json.dumps({"query": 42})), 400, "bad_request"),
        (lambda g: g.raw(json.dumps({"query": "{ agendaStats { key } }", "variables": [1]})), 400, "bad_request"),
        (lambda g: g.raw("query { x }", content_type="text/plain"), 415, "unsupported_media_type"),
        (lambda g: g.raw(json.dumps({"query": "x" * 70_000})), 413, "payload_too_large"),
        (lambda g: g("{ agenda { edges { nope } } }"), 200, "graphql_validation_failed"),
        (lambda g: g("{ agenda { edges "), 200, "graphql_parse_failed"),
        (lambda g: g("{ agendaStats { key } }" + " " * 21_000), 200, "document_too_large"),
        (lambda g: g("query A { agendaStats { key } } query B { agendaStats { key } }"), 200, "operation_not_found"),
        (lambda g: g(operation("slots"), {"eventTypeId": 1, "start": None}), 200, "invalid_variables"),
        (lambda g: g(BOOK, {"input": {"start": "x"}}), 200, "invalid_variables"),
        (lambda g: g.get({"query": BOOK}), 405, "method_not_allowed"),
        (lambda g: g.get({"query": "{ agendaStats { key } }", "variables": "{bad"}), 400, "malformed_json"),
        (lambda g: reply_of_put(g), 405, "method_not_allowed"),
        (lambda g: g(None, extensions={"persistedQuery": {"version": 1, "sha256Hash": "short"}}), 400, "bad_request"),
    ],
)
def test_bad_requests_get_a_code_and_the_status_the_spec_gives(
    app: Slotwise, api_key: str, send: Any, status: int, code: str
) -> None:
    count = events_in(app)
    reply = send(Gql(api_key))
    assert reply.status == status and reply.codes and set(reply.codes) == {code}, reply.body
    assert reply.content_type.startswith("application/json")
    assert events_in(app) == count


def reply_of_put(gql: Gql) -> Any:
    return reply_of(gql.client.put("/graphql", data="{}", content_type="application/json"))


def test_document_errors_are_400_with_the_graphql_response_media_type(api_key: str) -> None:
    gql = Gql(api_key)
    for query, variables in (("{ nope }", None), ("{", None), (operation("slots"), {"start": 1})):
        reply = gql(query, variables, headers=GRAPHQL_RESPONSE)
        assert reply.status == 400 and reply.content_type.startswith("application/graphql-response+json")
    ok = gql("{ agendaStats { key } }", headers=GRAPHQL_RESPONSE)
    assert ok.status == 200 and ok.data == {"agendaStats": []}


def test_a_failing_resolver_is_an_internal_error_without_details(api_key: str, monkeypatch: Any) -> None:
    from projections import reads

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection string with a password in it")

    monkeypatch.setattr(reads, "agenda_stats", broken)
    reply = Gql(api_key)("{ agendaStats { key } }")
    assert reply.status == 200 and reply.codes == ["internal_error"]
    assert "password" not in json.dumps(reply.body)


def test_resolver_timings_are_exported_by_field(api: Api, api_key: str, project: Any) -> None:
    host = make_host(api)
    make_event_type(api, host)
    project()
    reply = Gql(api_key)("query($h: ID!) { host(id: $h) { name eventTypes { title host { name } } } }", {"h": host})
    assert reply.data["host"]["eventTypes"][0]["host"]["name"] == "Ada"
    text = api.client.get("/metrics").content.decode()
    assert 'slotwise_graphql_resolver_seconds_count{field="Query.host"}' in text
    assert 'slotwise_graphql_resolver_seconds_count{field="loader:event_types_by_host"}' in text
    assert 'field="Host.name"' not in text  # plain attribute reads are not timed
