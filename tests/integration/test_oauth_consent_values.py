"""Whatever a browser puts in a consent link, a callback's state or its cookie, the answer is a 422
naming it: only values shaped like ours are looked up or hashed (PostgreSQL refuses a NUL in text,
and a lone surrogate cannot even be encoded)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote
from uuid import uuid4

import pytest
from django.core import signing

from booking.domain.errors import InvalidValue
from providers import consents
from tests.integration.conftest import Api

HOSTILE = {"nul": "\x00", "lone surrogate": "\ud800", "10,000 characters": "a" * 10_000}


def _in_url(value: str) -> str:
    """The value percent-encoded as a browser would send its bytes (a lone surrogate as its three bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _refused_field(call: Callable[[], object]) -> str | None:
    with pytest.raises(InvalidValue) as refused:
        call()
    return refused.value.field


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_consent_link_with_a_hostile_nonce_is_a_422_naming_consent(db: None, public: Api, value: str) -> None:
    # when a browser opens the start page with a nonce no link of ours carries
    answer = public.get(f"/calendars/oauth/start?consent={_in_url(value)}")
    # then it is refused naming the consent, not a database error
    assert (answer.status, answer.fields) == (422, ["consent"]), answer.body


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_callback_with_a_hostile_state_is_a_422_naming_state(db: None, public: Api, value: str) -> None:
    answer = public.get(f"/calendars/oauth/callback?code=x&state={_in_url(value)}")

    assert (answer.status, answer.fields) == (422, ["state"]), answer.body


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_handed_over_as_they_are_are_refused_before_any_lookup(db: None, value: str) -> None:
    # given values as a framework could hand them over undecoded: the nonce, the state, and a
    # state signed by this server that names such a nonce
    signed = signing.dumps({"c": value}, salt=consents.STATE_SALT)
    # then each is refused naming its field
    assert _refused_field(lambda: consents.open_in(value, None)) == "consent"
    assert _refused_field(lambda: consents.pending(value, None)) == "state"
    assert _refused_field(lambda: consents.pending(signed, None)) == "state"
    assert _refused_field(lambda: consents.pending(value + ":" + value + ":" + value, None)) == "state"


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_callback_whose_browser_cookie_is_hostile_is_refused_naming_state(db: None, value: str) -> None:
    # given a consent opened in a browser, and its state
    consent = consents.issue(uuid4(), uuid4(), "google", None)
    opened = consents.open_in(consent.pk, None)
    # when the callback comes with a cookie that is no browser id of ours
    refused = _refused_field(lambda: consents.pending(opened.state, value))
    # then it is refused, and the consent stays open for its own browser
    assert refused == "state"
    assert consents.pending(opened.state, opened.browser).pk == consent.pk
