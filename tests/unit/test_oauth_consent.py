"""The pure parts of connecting a calendar: PKCE values."""

from __future__ import annotations

import re

from providers.pkce import code_challenge, code_verifier

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
