"""SLOTWISE_OAUTH_RETURN_ORIGINS is read by one parser (`providers.return_to.origin_of`): an origin
the start-up check lets through is one `returnTo` can match, and the setting is parsed once."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.core.exceptions import ImproperlyConfigured

from booking.settings.providers import return_origins
from providers import return_to
from providers.return_to import allowed_origins, checked_return_to


@pytest.mark.parametrize("configured", ["https://b\u00fccher.example", "https://app .example", "https://app\texample"])
def test_an_origin_no_return_to_could_ever_match_stops_the_server_at_start_up(configured: str) -> None:
    # given an origin that urlsplit reads but a browser-safe URL never has (non-ASCII, a space, a tab)
    # then the setting is refused at start-up, not silently left out of the allowed origins
    with pytest.raises(ImproperlyConfigured, match="SLOTWISE_OAUTH_RETURN_ORIGINS"):
        return_origins(configured, "https://slotwise.example")


def test_the_allowed_origins_are_parsed_once_per_setting(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a setting of two origins no earlier check has seen, and a count of every URL parsed
    fresh = f"https://{uuid4().hex}.example"
    settings.SLOTWISE_OAUTH_RETURN_ORIGINS = (fresh, "http://localhost:3000")
    parsed: list[str] = []
    origin_of = return_to.origin_of
    monkeypatch.setattr(return_to, "origin_of", lambda url: parsed.append(url) or origin_of(url))
    # when three returnTo URLs are checked
    for url in (f"{fresh}/a", f"{fresh}/b", "http://localhost:3000/c"):
        assert checked_return_to(url) == url
    # then each URL is parsed, and each configured origin only once between them
    assert sorted(parsed) == sorted(
        [f"{fresh}/a", f"{fresh}/b", "http://localhost:3000/c", fresh, "http://localhost:3000"]
    )
    # and a changed setting is read afresh
    settings.SLOTWISE_OAUTH_RETURN_ORIGINS = ("https://other.example",)
    assert allowed_origins() == frozenset({("https", "other.example", 443)})
