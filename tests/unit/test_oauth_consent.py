"""The pure parts of connecting a calendar: PKCE values, the `returnTo` allow-list and its setting."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from booking.domain.errors import InvalidValue
from booking.settings.providers import return_origins
from providers.pkce import code_challenge, code_verifier
from providers.return_to import checked_return_to, origin_of

UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def test_the_s256_challenge_is_the_one_rfc_7636_gives_for_its_example_verifier() -> None:
    # given the verifier of RFC 7636, appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    # when challenged, then the appendix's challenge
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_every_verifier_is_fresh_long_enough_and_of_the_unreserved_set() -> None:
    made = {code_verifier() for _ in range(50)}

    assert len(made) == 50
    assert all(43 <= len(v) <= 128 and UNRESERVED.fullmatch(v) for v in made)


def test_origins_compare_scheme_host_and_port_with_default_ports_filled_in() -> None:
    assert origin_of("https://App.Example/x?y#z") == ("https", "app.example", 443)
    assert origin_of("HTTPS://app.example:443/") == ("https", "app.example", 443)
    assert origin_of("http://[::1]:8000/") == ("http", "::1", 8000)
    assert origin_of("https://app.example@evil.example/") is None


def test_a_return_to_on_an_allowed_origin_is_kept_as_given(settings: Any) -> None:
    settings.SLOTWISE_OAUTH_RETURN_ORIGINS = ("https://app.example", "http://localhost:3000")

    assert checked_return_to("https://app.example/settings?tab=1") == "https://app.example/settings?tab=1"
    assert checked_return_to("https://app.example:443/") == "https://app.example:443/"
    assert checked_return_to("http://localhost:3000/cb") == "http://localhost:3000/cb"
    assert checked_return_to(None) is None


def test_a_return_to_elsewhere_names_the_field(settings: Any) -> None:
    settings.SLOTWISE_OAUTH_RETURN_ORIGINS = ("https://app.example",)

    with pytest.raises(InvalidValue) as refused:
        checked_return_to("https://evil.example/")

    assert [field for field, _ in refused.value.errors] == ["returnTo"]


def test_the_allowed_origins_default_to_the_public_url_s_origin() -> None:
    assert return_origins("", "https://slotwise.example/booking") == ("https://slotwise.example",)
    assert return_origins(" https://a.example/ ,http://b.example:8080", "https://x.example") == (
        "https://a.example",
        "http://b.example:8080",
    )


@pytest.mark.parametrize(
    "configured",
    ["app.example", "https://app.example/path", "https://u@app.example", "ftp://app.example", "https://a.example:x"],
)
def test_a_setting_that_is_not_a_list_of_origins_is_refused_at_start_up(configured: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SLOTWISE_OAUTH_RETURN_ORIGINS"):
        return_origins(configured, "https://slotwise.example")
