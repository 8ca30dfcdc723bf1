"""The contract servers hold a code asked for with a PKCE challenge (RFC 7636) to its verifier, as
Google's and Microsoft's token endpoints do: without it, or with another one, the code is refused
with the provider's documented `invalid_grant`. So a flow that forgets or mixes up the verifier fails."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from providers.base import AuthRevoked
from providers.oauth import SCOPES

REDIRECT_URI = "http://testserver/calendars/oauth/callback"
VERIFIER = "Xn8bq2Vd-0kRj5yWm4Lq7zT1uH9cF3sA6eG_pN2iK5oB8vD0wY"  # 50 unreserved characters
OTHER_VERIFIER = "Qz3mT8wK1pR6yL0vN5bH2jF9dC4xS7aE_uG-iO3kM6nB1tV8rW"

# what each provider answers a token request whose verifier is missing, or not the consent's
REFUSALS = {
    "google": {"missing": "Missing code verifier.", "mismatch": "Invalid code verifier."},
    "microsoft": {"missing": "AADSTS50148:", "mismatch": "AADSTS501481:"},
}


@pytest.fixture(params=["google_server", "microsoft_server"])
def server(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(request.param)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def consented(server: Any, **pkce: str) -> dict[str, list[str]]:
    """The query the provider sends the browser back with, after consent to a link with `pkce` in it."""
    query = {
        "client_id": server.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": " ".join(SCOPES[server.provider]),  # Microsoft: offline_access among them
        "access_type": "offline",  # Google
        "state": "st4te",
        **pkce,
    }
    answer = requests.get(f"{server.authorize_url}?{urlencode(query)}", allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def redeem(server: Any, code: str, verifier: str | None) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form |= {"client_id": server.client_id, "client_secret": server.client_secret}
    if verifier is not None:
        form["code_verifier"] = verifier
    return requests.post(server.token_url, data=form, headers={"Accept": "application/json"}, timeout=5)


def test_a_code_asked_for_with_a_challenge_is_refused_without_its_verifier(server: Any) -> None:
    # given a consent asked for with an S256 challenge
    code = consented(server, code_challenge=s256(VERIFIER), code_challenge_method="S256")["code"][0]

    # when the code is redeemed without a verifier
    answer = redeem(server, code, None)

    # then the provider refuses the grant, in its own words
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    assert answer.json()["error_description"].startswith(REFUSALS[server.provider]["missing"])


def test_a_code_asked_for_with_a_challenge_is_refused_with_another_verifier(server: Any) -> None:
    code = consented(server, code_challenge=s256(VERIFIER), code_challenge_method="S256")["code"][0]

    answer = redeem(server, code, OTHER_VERIFIER)

    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    assert answer.json()["error_description"].startswith(REFUSALS[server.provider]["mismatch"])
    # and the refusal did not use the code up: the right verifier still redeems it
    assert redeem(server, code, VERIFIER).status_code == 200


def test_our_client_sees_a_wrong_verifier_as_a_refused_grant(server: Any) -> None:
    code = consented(server, code_challenge=s256(VERIFIER), code_challenge_method="S256")["code"][0]

    with pytest.raises(AuthRevoked, match="invalid_grant"):
        server.oauth_client().exchange_code(code, REDIRECT_URI, OTHER_VERIFIER)


def test_the_right_verifier_redeems_the_code_once(server: Any) -> None:
    code = consented(server, code_challenge=s256(VERIFIER), code_challenge_method="S256")["code"][0]

    tokens = server.oauth_client().exchange_code(code, REDIRECT_URI, VERIFIER)

    assert tokens.access_token and tokens.refresh_token
    assert redeem(server, code, VERIFIER).json()["error"] == "invalid_grant"  # a code is good once


def test_a_plain_challenge_is_the_verifier_itself(server: Any) -> None:
    # given a challenge with no method named: RFC 7636 and both providers take it as "plain"
    code = consented(server, code_challenge=VERIFIER)["code"][0]

    assert redeem(server, code, s256(VERIFIER)).json()["error"] == "invalid_grant"
    assert redeem(server, code, VERIFIER).status_code == 200


def test_an_unknown_challenge_method_is_refused_at_consent(server: Any) -> None:
    back = consented(server, code_challenge=s256(VERIFIER), code_challenge_method="S512")

    assert back["error"] == ["invalid_request"] and "code" not in back


def test_google_refuses_a_verifier_for_a_code_asked_for_without_a_challenge(google_server: Any) -> None:
    code = consented(google_server)["code"][0]

    answer = redeem(google_server, code, VERIFIER)

    assert answer.json() == {"error": "invalid_grant", "error_description": "code_verifier or verifier is not needed."}
