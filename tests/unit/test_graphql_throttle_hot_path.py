"""The GraphQL side of the public limits does its work (coercing the variables, collecting the
root fields) only for a request the limits could concern: not when they are off, not for a
document that names no limited field. A key holder's document is looked into too: its key spares it
only on its own organisation's event types, which the ask's event type tells."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.test import RequestFactory
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from booking import throttle
from booking.graphql import throttle as graphql_throttle
from booking.graphql.schema import schema
from providers.gcra import parse_rate

LOOK = 'slots(eventTypeId: $e, start: "2026-01-06", end: "2026-01-06", timeZone: "UTC") { date }'
SLOTS = f"query S($e: ID!) {{ {LOOK} }}"
HIDDEN_SLOTS = f"query S($e: ID!) {{ ... on Query {{ ...Look }} }} fragment Look on Query {{ {LOOK} }}"
NO_LIMITED_FIELD = "query H($id: ID!) { host(id: $id) { id } }"


@pytest.fixture
def coercions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each time the throttle coerces an operation's variables."""
    seen: list[Any] = []
    coerce = graphql_throttle.get_variable_values

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(args)
        return coerce(*args, **kwargs)

    monkeypatch.setattr(graphql_throttle, "get_variable_values", counting)
    return seen


@pytest.fixture
def limits_on_without_a_store(settings: Any) -> None:
    """The limits on, but only a budget no slots lookup takes from: no store is asked."""
    settings.SLOTWISE_PUBLIC_RATE_LIMITS = True
    settings.SLOTWISE_PUBLIC_RATE_LIMIT = parse_rate("60/minute")
    settings.SLOTWISE_PUBLIC_READ_RATE_LIMIT = None
    settings.SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT = None
    settings.SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT = None


def _check(document: str, organisation: Any = None) -> None:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)}
    request = RequestFactory().post("/graphql", REMOTE_ADDR="127.0.0.1")
    variables = {"e": str(uuid4()), "id": str(uuid4())}
    graphql_throttle.check_operation(request, schema.graphql_schema, operation, fragments, variables, organisation)


@pytest.mark.parametrize("document", [SLOTS, HIDDEN_SLOTS])
def test_a_document_naming_a_limited_field_is_looked_into(
    limits_on_without_a_store: None, coercions: list[Any], document: str
) -> None:
    # given the limits on, when an anonymous caller asks for slots (directly or through fragments)
    _check(document)
    # then its variables are coerced to find the event type
    assert len(coercions) == 1


def test_nothing_is_looked_into_while_the_limits_are_off(
    limits_on_without_a_store: None, settings: Any, coercions: list[Any]
) -> None:
    # given the master switch off
    settings.SLOTWISE_PUBLIC_RATE_LIMITS = False
    # when an anonymous caller asks for slots, then nothing is coerced
    _check(SLOTS)
    assert coercions == []


def test_nothing_is_looked_into_while_every_budget_is_off(
    limits_on_without_a_store: None, settings: Any, coercions: list[Any]
) -> None:
    settings.SLOTWISE_PUBLIC_RATE_LIMIT = None
    _check(SLOTS)
    assert coercions == []


def test_a_key_holders_document_is_looked_into(
    limits_on_without_a_store: None, coercions: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the limits on, when a key holder asks for slots of an event type (of no organisation here)
    owners: list[Any] = []
    monkeypatch.setattr(throttle, "_owner", lambda event_type: owners.append(event_type))
    _check(SLOTS, organisation=uuid4())
    # then the event type is found, to see whose it is
    assert len(coercions) == 1 and len(owners) == 1


def test_nothing_is_looked_into_for_a_document_without_a_limited_field(
    limits_on_without_a_store: None, coercions: list[Any]
) -> None:
    # given the limits on, when a document asks only for fields no budget counts
    _check(NO_LIMITED_FIELD)
    # then its variables are not coerced, nor its fields collected
    assert coercions == []


def test_a_key_holders_aliases_of_one_event_type_look_up_its_owner_once(
    limits_on_without_a_store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a key holder's document asking for one event type's slots under three aliases
    owners: list[Any] = []
    monkeypatch.setattr(throttle, "_owner", lambda event_type: owners.append(event_type))
    aliased = f"query S($e: ID!) {{ a: {LOOK} b: {LOOK} c: {LOOK} }}"
    # when the limits look into it, then the event type's owner is read once
    _check(aliased, organisation=uuid4())
    assert len(owners) == 1
