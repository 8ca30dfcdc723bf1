"""The Google Calendar adapter and Google OAuth against the Google contract server.

The server's own store (`server.events()`) and request log are the ground truth for what the
adapter sent; faults are the documented ones (403 rateLimitExceeded, 429, 5xx, expired tokens,
revoked grants).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import pytest
import requests

from providers.base import AuthExpired, AuthRevoked, BusyInterval, RateLimited, Rejected, Unavailable
from providers.google import GoogleCalendarProvider
from providers.oauth import Tokens, TokenSession
from providers.pkce import code_challenge, code_verifier
from tests.integration.calendar_events import berlin, booking, utc
from tests.integration.provider_servers import GoogleServer

REDIRECT_URI = "http://testserver/calendars/oauth/google"
VERIFIER = code_verifier()  # PKCE: the consent links below carry its challenge
CHALLENGE = code_challenge(VERIFIER)


def connect(
    server: GoogleServer,
    tokens: Tokens | None = None,
    refreshed: list[Tokens] | None = None,
    calendar_id: str = "primary",
    timeout: float = 5,
) -> GoogleCalendarProvider:
    session = TokenSession(server.oauth_client(timeout), tokens or server.grant_tokens(), on_refresh=_into(refreshed))
    return GoogleCalendarProvider(calendar_id, session, server.api_url)


def _into(refreshed: list[Tokens] | None) -> Any:
    return refreshed.append if refreshed is not None else None


def calls(server: GoogleServer) -> list[tuple[str, str, int]]:
    """The requests so far as (method, last path segment, status)."""
    return [(r.method, r.path.rsplit("/", 1)[-1], r.status) for r in server.requests()]


# --- events ------------------------------------------------------------------------------------


def test_a_booking_becomes_one_event_named_by_its_uid_in_the_host_wall_clock(google_server: GoogleServer) -> None:
    event = booking(berlin(2026, 3, 30, 9))

    connect(google_server).upsert_event(event)

    [stored] = google_server.events()
    assert stored["id"] == UUID(event.uid).hex
    assert stored["iCalUID"] == event.uid
    assert stored["start"] == {"dateTime": "2026-03-30T09:00:00+02:00", "timeZone": "Europe/Berlin"}
    assert stored["end"] == {"dateTime": "2026-03-30T09:30:00+02:00", "timeZone": "Europe/Berlin"}
    assert (stored["status"], stored["sequence"], stored["summary"]) == ("confirmed", 1, "Intro: Bo")
    assert stored["attendees"] == [{"email": "bo@example.com", "displayName": "Bo Jensen"}]
    # Slotwise sends the invitation itself: every write asks Google not to
    writes = [r for r in google_server.requests() if r.method in ("PUT", "POST", "DELETE") and "events" in r.path]
    assert writes and all(r.query.get("sendUpdates") == "none" for r in writes)


def test_sending_a_booking_again_replaces_its_event(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)

    provider.upsert_event(replace(event, start=berlin(2026, 3, 31, 14), end=berlin(2026, 3, 31, 15), sequence=2))

    [stored] = google_server.events()
    assert stored["start"]["dateTime"] == "2026-03-31T14:00:00+02:00"
    assert stored["sequence"] == 2
    assert calls(google_server)[-1] == ("PUT", stored["id"], 200)  # in place, not a second insert


def test_deleting_cancels_the_event_and_deleting_again_is_harmless(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)

    provider.delete_event(event.uid)
    provider.delete_event(event.uid)
    provider.delete_event(str(uuid4()))  # never stored

    [stored] = google_server.events()
    assert stored["status"] == "cancelled"
    assert [c[2] for c in calls(google_server) if c[0] == "DELETE"] == [204, 410, 404]
    assert provider.busy_times(berlin(2026, 3, 30), berlin(2026, 3, 31)) == []


def test_a_cancelled_booking_sent_as_an_upsert_deletes_its_event(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)

    provider.upsert_event(replace(event, sequence=2, cancelled=True))

    assert [e["status"] for e in google_server.events()] == ["cancelled"]


def test_an_insert_that_finds_the_id_taken_writes_over_the_event(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)
    provider.delete_event(event.uid)
    # the update misses the event (as if it were stored only now): the insert then finds its id taken
    google_server.fail_next(1, 404, reason="notFound", method="PUT")

    provider.upsert_event(replace(event, sequence=3))

    assert calls(google_server)[-3:] == [
        ("PUT", UUID(event.uid).hex, 404),
        ("POST", "events", 409),
        ("PUT", UUID(event.uid).hex, 200),
    ]
    [stored] = google_server.events()
    assert (stored["status"], stored["sequence"]) == ("confirmed", 3)


def test_concurrent_first_sends_of_one_booking_store_one_event(google_server: GoogleServer) -> None:
    event = booking(berlin(2026, 3, 30, 9))
    start = threading.Barrier(6)
    failures: list[Exception] = []

    def send(sequence: int) -> None:
        provider = connect(google_server)
        start.wait()
        try:
            provider.upsert_event(replace(event, sequence=sequence))
        except Exception as e:  # collected for the assertion below
            failures.append(e)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert [e["id"] for e in google_server.events()] == [UUID(event.uid).hex]


# --- busy times --------------------------------------------------------------------------------


def test_busy_times_are_the_live_events_in_utc_across_the_dst_change(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    provider.upsert_event(booking(berlin(2026, 3, 28, 9)))  # CET, UTC+1
    provider.upsert_event(booking(berlin(2026, 3, 29, 1), minutes=120))  # 01:00 to 04:00 local: two real hours
    provider.upsert_event(booking(berlin(2026, 3, 30, 9)))  # CEST, UTC+2
    cancelled = booking(berlin(2026, 3, 30, 11))
    provider.upsert_event(cancelled)
    provider.delete_event(cancelled.uid)

    busy = provider.busy_times(berlin(2026, 3, 28), berlin(2026, 3, 31))

    assert busy == [
        BusyInterval(utc(2026, 3, 28, 8), utc(2026, 3, 28, 8, 30)),
        BusyInterval(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),
        BusyInterval(utc(2026, 3, 30, 7), utc(2026, 3, 30, 7, 30)),
    ]
    [night] = [e for e in google_server.events() if e["start"]["dateTime"].startswith("2026-03-29")]
    assert (night["start"]["dateTime"], night["end"]["dateTime"]) == (
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T04:00:00+02:00",
    )


def test_busy_times_end_where_the_range_ends(google_server: GoogleServer) -> None:
    provider = connect(google_server)
    provider.upsert_event(booking(berlin(2026, 6, 1, 9), minutes=60))

    assert provider.busy_times(berlin(2026, 6, 1, 9, 30), berlin(2026, 6, 1, 12)) == [
        BusyInterval(utc(2026, 6, 1, 7, 30), utc(2026, 6, 1, 8))
    ]


def test_busy_times_of_a_calendar_google_does_not_know_are_refused(google_server: GoogleServer) -> None:
    provider = connect(google_server, calendar_id="nobody@group.calendar.google.com")

    with pytest.raises(Rejected) as refused:
        provider.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert "notFound" in str(refused.value)
    assert refused.value.retryable is False


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "retry_after", "waited"),
    [
        (403, "rateLimitExceeded", 120, 120.0),
        (403, "userRateLimitExceeded", None, None),
        (403, "quotaExceeded", None, None),
        (429, "rateLimitExceeded", 30, 30.0),
        (429, None, None, None),
    ],
)
def test_rate_limits_are_rate_limited_with_the_wait_google_asked_for(
    google_server: GoogleServer, status: int, reason: str | None, retry_after: int | None, waited: float | None
) -> None:
    google_server.fail_next(1, status, retry_after=retry_after, reason=reason)

    with pytest.raises(RateLimited) as limited:
        connect(google_server).upsert_event(booking(berlin(2026, 6, 1, 9)))

    assert (limited.value.status, limited.value.retry_after, limited.value.retryable) == (status, waited, True)
    assert google_server.events() == []


@pytest.mark.parametrize(("status", "reason"), [(403, "forbidden"), (403, "insufficientPermissions"), (400, "invalid")])
def test_other_refusals_are_rejected_for_good(google_server: GoogleServer, status: int, reason: str) -> None:
    google_server.fail_next(1, status, reason=reason)

    with pytest.raises(Rejected) as refused:
        connect(google_server).delete_event(str(uuid4()))

    assert type(refused.value) is Rejected
    assert (refused.value.status, refused.value.retryable) == (status, False)


@pytest.mark.parametrize(("status", "retry_after", "waited"), [(500, None, None), (503, 7, 7.0), (502, None, None)])
def test_server_errors_are_unavailable(
    google_server: GoogleServer, status: int, retry_after: int | None, waited: float | None
) -> None:
    google_server.fail_next(1, status, retry_after=retry_after)

    with pytest.raises(Unavailable) as down:
        connect(google_server).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert (down.value.status, down.value.retry_after) == (status, waited)


def test_an_answer_that_comes_too_late_or_never_is_unavailable(google_server: GoogleServer) -> None:
    provider = connect(google_server, timeout=0.3)
    google_server.stall_next(1, 1.0)
    with pytest.raises(Unavailable):
        provider.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    google_server.drop_next(1)
    with pytest.raises(Unavailable):
        provider.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert [r.status for r in google_server.requests()] == [200, 0]  # stalled (answered late), dropped


# --- tokens ------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_once_and_the_call_made_again(google_server: GoogleServer) -> None:
    refreshed: list[Tokens] = []
    tokens = google_server.grant_tokens()
    provider = connect(google_server, tokens, refreshed)
    google_server.expire_all_tokens()

    provider.upsert_event(booking(berlin(2026, 6, 1, 9)))

    assert len(google_server.events()) == 1
    assert [(r.method, r.status) for r in google_server.requests()][:3] == [("PUT", 401), ("POST", 200), ("PUT", 404)]
    [new] = refreshed
    assert new.access_token != tokens.access_token
    assert new.refresh_token == tokens.refresh_token  # Google keeps the refresh token
    assert new.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    assert provider.session.tokens == new


def test_a_token_about_to_expire_is_refreshed_before_the_call(google_server: GoogleServer) -> None:
    refreshed: list[Tokens] = []
    dying = replace(google_server.grant_tokens(), expires_at=datetime.now(UTC) + timedelta(seconds=30))
    provider = connect(google_server, dying, refreshed)

    provider.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert len(refreshed) == 1
    assert [(r.path, r.status) for r in google_server.requests()] == [("/token", 200), ("/calendar/v3/freeBusy", 200)]


def test_an_access_token_refused_again_after_a_refresh_is_expired_auth(google_server: GoogleServer) -> None:
    refreshed: list[Tokens] = []
    google_server.fail_next(2, 401, reason="authError")

    with pytest.raises(AuthExpired) as refused:
        connect(google_server, refreshed=refreshed).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert refused.value.status == 401
    assert len(refreshed) == 1  # one refresh, one more try, no loop
    assert len(google_server.requests("freeBusy")) == 2


def test_a_revoked_grant_is_auth_revoked_and_not_retried(google_server: GoogleServer) -> None:
    refreshed: list[Tokens] = []
    tokens = google_server.grant_tokens()
    google_server.revoke(tokens.refresh_token)

    with pytest.raises(AuthRevoked) as revoked:
        connect(google_server, tokens, refreshed).upsert_event(booking(berlin(2026, 6, 1, 9)))

    assert "invalid_grant" in str(revoked.value)
    assert revoked.value.retryable is False
    assert isinstance(revoked.value, Rejected)
    assert refreshed == []
    assert google_server.events() == []


@pytest.mark.parametrize(("status", "kind"), [(503, Unavailable), (500, Unavailable), (429, RateLimited)])
def test_trouble_at_the_token_endpoint_is_retryable(google_server: GoogleServer, status: int, kind: type) -> None:
    tokens = google_server.grant_tokens()
    google_server.fail_next(1, status, retry_after=5, on="token")

    with pytest.raises(kind) as failed:
        google_server.oauth_client().refresh(tokens.refresh_token)

    assert (failed.value.status, failed.value.retry_after, failed.value.retryable) == (status, 5.0, True)


def test_a_wrong_client_secret_is_rejected_not_revoked(google_server: GoogleServer) -> None:
    tokens = google_server.grant_tokens()
    client = replace(google_server.oauth_client(), client_secret="not-the-secret")

    with pytest.raises(Rejected) as refused:
        client.refresh(tokens.refresh_token)

    assert type(refused.value) is Rejected
    assert "invalid_client" in str(refused.value)


# --- connecting --------------------------------------------------------------------------------


def test_the_authorization_code_flow_gives_tokens_that_work(google_server: GoogleServer) -> None:
    client = google_server.oauth_client()
    url = client.authorization_url("st4te-1", REDIRECT_URI, CHALLENGE)
    asked = parse_qs(urlsplit(url).query)
    assert (asked["access_type"], asked["prompt"], asked["response_type"]) == (["offline"], ["consent"], ["code"])

    consent = requests.get(url, allow_redirects=False, timeout=5)

    assert consent.status_code == 302
    location = urlsplit(consent.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    back = parse_qs(location.query)
    assert back["state"] == ["st4te-1"]
    tokens = client.exchange_code(back["code"][0], REDIRECT_URI, VERIFIER)
    assert tokens.refresh_token and tokens.access_token
    assert "https://www.googleapis.com/auth/calendar.events" in tokens.scope.split()
    assert timedelta(minutes=55) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=1)
    assert connect(google_server, tokens).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2)) == []


def test_a_code_is_good_once(google_server: GoogleServer) -> None:
    client = google_server.oauth_client()
    consent = requests.get(client.authorization_url("s", REDIRECT_URI, CHALLENGE), allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    client.exchange_code(code, REDIRECT_URI, VERIFIER)

    with pytest.raises(AuthRevoked):
        client.exchange_code(code, REDIRECT_URI, VERIFIER)


def test_tokens_survive_being_stored_and_read_back(google_server: GoogleServer) -> None:
    tokens = google_server.grant_tokens()

    again = Tokens.from_dict(tokens.to_dict())

    assert again == tokens
    assert connect(google_server, again).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2)) == []
