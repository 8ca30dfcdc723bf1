"""The OAuth client's and the adapters' pure parts: stored tokens, consent links, settings, and
how times, ids and HTTP statuses are written and read. No HTTP here (see the integration tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from providers.base import AuthExpired, CalendarEvent, ProviderError, RateLimited, Rejected, Unavailable
from providers.google import event_id_for, event_resource
from providers.http_errors import error_for_status, retry_after_seconds
from providers.microsoft import wall_times
from providers.oauth import SCOPES, OAuthClient, Tokens, client_for, configured
from providers.pkce import code_challenge, code_verifier

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
CHALLENGE = code_challenge(code_verifier())


def client(provider: str, scopes: tuple[str, ...] | None = None) -> OAuthClient:
    return OAuthClient(
        provider,
        "the-client",
        "the-secret",
        "https://login.example/authorize",
        "https://login.example/token",
        scopes if scopes is not None else SCOPES[provider],
    )


def event(start: datetime, minutes: int = 30) -> CalendarEvent:
    return CalendarEvent(
        uid="8c1c2d7e-52a4-4f0e-9a57-0b1c7b7f9e01",
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=minutes)).astimezone(UTC),
        time_zone="Europe/Berlin",
        summary="Intro: Bo",
        description="",
        attendee_name="Bo",
        attendee_email="bo@example.com",
        organizer_email="ada@example.com",
        sequence=4,
    )


def test_tokens_read_back_from_storage_are_the_tokens_stored() -> None:
    tokens = Tokens("access", "refresh", NOW + timedelta(hours=1), "a b")

    stored = json.dumps(tokens.to_dict())  # as sealed in the account's secret

    assert Tokens.from_dict(json.loads(stored)) == tokens


def test_a_stored_expiry_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Tokens.from_dict({"access_token": "a", "refresh_token": "r", "expires_at": "2026-03-29T12:00:00"})


def test_tokens_expire_within_the_margin_and_not_before() -> None:
    tokens = Tokens("a", "r", NOW + timedelta(seconds=60))

    assert tokens.expires_within(timedelta(seconds=60), NOW)
    assert not tokens.expires_within(timedelta(seconds=59), NOW)


def test_the_google_consent_link_asks_for_offline_access_and_a_fresh_consent() -> None:
    url = client("google").authorization_url("st&te", "https://slotwise.example/oauth/google?x=1", CHALLENGE)

    asked = parse_qs(urlsplit(url).query)
    assert url.startswith("https://login.example/authorize?")
    assert asked["response_type"] == ["code"]
    assert (asked["access_type"], asked["prompt"]) == (["offline"], ["consent"])
    assert (asked["state"], asked["redirect_uri"]) == (["st&te"], ["https://slotwise.example/oauth/google?x=1"])
    assert asked["scope"][0].split() == list(SCOPES["google"])


def test_the_microsoft_consent_link_always_asks_for_offline_access() -> None:
    url = client("microsoft", scopes=("https://graph.microsoft.com/Calendars.ReadWrite",)).authorization_url(
        "s", "https://x.example/cb", CHALLENGE
    )

    asked = parse_qs(urlsplit(url).query)
    assert asked["scope"][0].split() == ["offline_access", "https://graph.microsoft.com/Calendars.ReadWrite"]
    assert asked["response_mode"] == ["query"]
    assert "access_type" not in asked


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_every_consent_link_carries_the_s256_challenge_and_never_the_verifier(provider: str) -> None:
    # given a verifier kept on the server
    verifier = code_verifier()

    # when the consent link is made with its challenge
    url = client(provider).authorization_url("s", "https://x.example/cb", code_challenge(verifier))

    # then the provider is asked with the S256 challenge, and the verifier is nowhere in the link
    asked = parse_qs(urlsplit(url).query)
    assert (asked["code_challenge"], asked["code_challenge_method"]) == ([code_challenge(verifier)], ["S256"])
    assert verifier not in url


def test_a_provider_without_a_client_id_is_not_offered(settings: Any) -> None:
    settings.SLOTWISE_OAUTH = {
        **settings.SLOTWISE_OAUTH,
        "google": {**settings.SLOTWISE_OAUTH["google"], "client_id": ""},
    }

    assert configured("google") is False
    assert configured("yahoo") is False
    with pytest.raises(Rejected, match="SLOTWISE_GOOGLE_CLIENT_ID"):
        client_for("google")


def test_the_client_is_built_from_settings(settings: Any) -> None:
    entry = {
        "client_id": "id-1",
        "client_secret": "secret-1",
        "authorize_url": "http://127.0.0.1:9/authorize",
        "token_url": "http://127.0.0.1:9/token",
        "api_url": "http://127.0.0.1:9/v1.0",
    }
    settings.SLOTWISE_OAUTH = {**settings.SLOTWISE_OAUTH, "microsoft": entry}
    settings.SLOTWISE_PROVIDER_HTTP_TIMEOUT = 3.5

    made = client_for("microsoft")

    assert configured("microsoft") is True
    assert (made.client_id, made.client_secret, made.token_url, made.timeout) == (
        "id-1",
        "secret-1",
        entry["token_url"],
        3.5,
    )
    assert made.scopes == SCOPES["microsoft"]


def test_retry_after_is_read_in_both_of_its_forms() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(NOW + timedelta(minutes=5), usegmt=True), now=NOW) == 300.0
    assert retry_after_seconds(format_datetime(NOW - timedelta(minutes=5), usegmt=True), now=NOW) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, RateLimited),
        (500, Unavailable),
        (503, Unavailable),
        (408, Unavailable),
        (401, AuthExpired),
        (400, Rejected),
        (403, Rejected),
        (404, Rejected),
    ],
)
def test_statuses_map_to_the_port_errors(status: int, kind: type[ProviderError]) -> None:
    error = error_for_status(status, "m", retry_after=9)

    assert type(error) is kind
    assert (error.status, error.retry_after) == (status, 9)


def test_a_google_event_id_is_the_uuid_hex_and_any_other_uid_is_base32hex() -> None:
    assert event_id_for("8c1c2d7e-52a4-4f0e-9a57-0b1c7b7f9e01") == UUID("8c1c2d7e-52a4-4f0e-9a57-0b1c7b7f9e01").hex

    encoded = event_id_for("booking/42@slotwise")

    assert set(encoded) <= set("0123456789abcdefghijklmnopqrstuv")
    assert 5 <= len(encoded) <= 1024
    assert encoded != event_id_for("booking/43@slotwise")


@pytest.mark.parametrize(
    ("local", "written"),
    [
        (datetime(2026, 3, 28, 9, tzinfo=BERLIN), "2026-03-28T09:00:00+01:00"),
        (datetime(2026, 3, 30, 9, tzinfo=BERLIN), "2026-03-30T09:00:00+02:00"),
    ],
)
def test_google_gets_the_host_wall_clock_with_its_offset(local: datetime, written: str) -> None:
    resource = event_resource(event(local))

    assert resource["start"] == {"dateTime": written, "timeZone": "Europe/Berlin"}
    assert resource["sequence"] == 4


def test_graph_gets_the_wall_clock_unless_the_zone_shows_that_time_twice() -> None:
    assert wall_times(event(datetime(2026, 3, 30, 9, tzinfo=BERLIN))) == (
        "2026-03-30T09:00:00",
        "2026-03-30T09:30:00",
        "Europe/Berlin",
    )
    # 02:30 on 25 October 2026 happens twice in Berlin: the second one is written in UTC
    assert wall_times(event(datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1))) == (
        "2026-10-25T01:30:00",
        "2026-10-25T02:00:00",
        "UTC",
    )
