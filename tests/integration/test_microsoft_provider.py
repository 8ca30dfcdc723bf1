"""The Microsoft Graph adapter and Microsoft OAuth against the Microsoft contract server.

The server's own store (`server.events()`) and request log are the ground truth for what the
adapter sent; faults are the documented ones (429 with and without Retry-After, 503/504,
expired tokens, revoked grants).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
import requests

from providers.base import AuthExpired, AuthRevoked, BusyInterval, CalendarEvent, RateLimited, Rejected, Unavailable
from providers.microsoft import SEQUENCE_PROPERTY, UID_PROPERTY, MicrosoftCalendarProvider
from providers.oauth import Tokens, TokenSession
from providers.pkce import code_challenge, code_verifier
from tests.integration.calendar_events import berlin, utc
from tests.integration.calendar_events import booking as _booking
from tests.integration.provider_servers import MicrosoftServer

REDIRECT_URI = "http://testserver/calendars/oauth/microsoft"
VERIFIER = code_verifier()  # PKCE: the consent links below carry its challenge
CHALLENGE = code_challenge(VERIFIER)


def booking(start: datetime, minutes: int = 30, **fields: Any) -> CalendarEvent:
    return _booking(start, minutes, **{"organizer_email": "ada@contoso.example", **fields})


def connect(
    server: MicrosoftServer,
    tokens: Tokens | None = None,
    refreshed: list[Tokens] | None = None,
    calendar_id: str | None = None,
    mailbox: str | None = None,
    timeout: float = 5,
) -> MicrosoftCalendarProvider:
    on_refresh = refreshed.append if refreshed is not None else None
    session = TokenSession(server.oauth_client(timeout), tokens or server.grant_tokens(), on_refresh=on_refresh)
    return MicrosoftCalendarProvider(calendar_id, mailbox or server.mailbox, session, server.api_url)


def properties(stored: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p["value"] for p in stored["singleValueExtendedProperties"]}


def of_booking(server: MicrosoftServer, uid: str, calendar_id: str | None = None) -> list[dict[str, Any]]:
    return [e for e in server.events(calendar_id) if properties(e).get(UID_PROPERTY) == uid]


# --- events ------------------------------------------------------------------------------------


def test_a_booking_becomes_one_event_carrying_its_uid_in_the_host_wall_clock(microsoft_server: MicrosoftServer) -> None:
    event = booking(berlin(2026, 3, 30, 9))

    connect(microsoft_server).upsert_event(event)

    [stored] = microsoft_server.events()
    assert properties(stored) == {UID_PROPERTY: event.uid, SEQUENCE_PROPERTY: "1"}
    assert stored["transactionId"] == event.uid
    assert stored["start"] == {"dateTime": "2026-03-30T09:00:00", "timeZone": "Europe/Berlin"}
    assert stored["end"] == {"dateTime": "2026-03-30T09:30:00", "timeZone": "Europe/Berlin"}
    assert (stored["subject"], stored["showAs"]) == ("Intro: Bo", "busy")
    assert stored["body"] == {"contentType": "text", "content": "Booked through Slotwise"}
    assert "attendees" not in stored  # Graph would send an invitation of its own


def test_sending_a_booking_again_updates_its_event(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)
    [first] = microsoft_server.events()

    provider.upsert_event(replace(event, start=berlin(2026, 3, 31, 14), end=berlin(2026, 3, 31, 15), sequence=2))

    [stored] = microsoft_server.events()
    assert stored["id"] == first["id"]
    assert stored["start"] == {"dateTime": "2026-03-31T14:00:00", "timeZone": "Europe/Berlin"}
    assert properties(stored)[SEQUENCE_PROPERTY] == "2"
    assert [(r.method, r.status) for r in microsoft_server.requests()][-2:] == [("GET", 200), ("PATCH", 200)]


def test_a_chosen_calendar_gets_the_event_and_the_default_one_does_not(microsoft_server: MicrosoftServer) -> None:
    work = microsoft_server.add_calendar("Slotwise")
    event = booking(berlin(2026, 3, 30, 9))

    connect(microsoft_server, calendar_id=work).upsert_event(event)

    assert len(of_booking(microsoft_server, event.uid, work)) == 1
    assert microsoft_server.events() == []


def test_deleting_removes_the_event_and_deleting_again_is_harmless(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    event, other = booking(berlin(2026, 3, 30, 9)), booking(berlin(2026, 3, 30, 10))
    provider.upsert_event(event)
    provider.upsert_event(other)

    provider.delete_event(event.uid)
    provider.delete_event(event.uid)

    assert [properties(e)[UID_PROPERTY] for e in microsoft_server.events()] == [other.uid]
    assert [r.status for r in microsoft_server.requests() if r.method == "DELETE"] == [204]


def test_a_booking_sent_again_after_its_event_was_deleted_gets_a_new_event(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)
    provider.delete_event(event.uid)  # or the host deleted it in Outlook

    provider.upsert_event(replace(event, sequence=2))

    [stored] = of_booking(microsoft_server, event.uid)
    assert properties(stored)[SEQUENCE_PROPERTY] == "2"
    # Graph refuses the used transactionId for a different event; the event is made without it
    assert [(r.method, r.status) for r in microsoft_server.requests()][-4:] == [
        ("GET", 200),
        ("POST", 400),
        ("GET", 200),
        ("POST", 201),
    ]


def test_an_event_that_vanishes_between_finding_and_updating_it_is_written_anyway(
    microsoft_server: MicrosoftServer,
) -> None:
    provider = connect(microsoft_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)
    microsoft_server.fail_next(1, 404, method="PATCH")

    provider.upsert_event(replace(event, sequence=2))

    [stored] = of_booking(microsoft_server, event.uid)
    assert properties(stored)[SEQUENCE_PROPERTY] == "2"
    assert ("PATCH", 404) in [(r.method, r.status) for r in microsoft_server.requests()]


def test_a_create_repeated_after_its_answer_was_lost_makes_no_second_event(microsoft_server: MicrosoftServer) -> None:
    event = booking(berlin(2026, 3, 30, 9))
    microsoft_server.stall_next(1, 1.0, method="POST")  # made, but answered after the client gave up
    with pytest.raises(Unavailable):
        connect(microsoft_server, timeout=0.3).upsert_event(event)
    assert len(of_booking(microsoft_server, event.uid)) == 1

    connect(microsoft_server).upsert_event(event)

    assert len(of_booking(microsoft_server, event.uid)) == 1


def test_concurrent_first_sends_of_one_booking_store_one_event(microsoft_server: MicrosoftServer) -> None:
    event = booking(berlin(2026, 3, 30, 9))
    start = threading.Barrier(6)
    failures: list[Exception] = []

    def send(sequence: int) -> None:
        provider = connect(microsoft_server)
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
    assert len(of_booking(microsoft_server, event.uid)) == 1


def test_a_cancelled_booking_sent_as_an_upsert_removes_its_event(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    event = booking(berlin(2026, 3, 30, 9))
    provider.upsert_event(event)

    provider.upsert_event(replace(event, sequence=2, cancelled=True))

    assert microsoft_server.events() == []


# --- busy times --------------------------------------------------------------------------------


def test_busy_times_are_the_events_in_utc_across_the_dst_change(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    provider.upsert_event(booking(berlin(2026, 3, 28, 9)))  # CET, UTC+1
    provider.upsert_event(booking(berlin(2026, 3, 29, 1), minutes=120))  # 01:00 to 04:00 local: two real hours
    provider.upsert_event(booking(berlin(2026, 3, 30, 9)))  # CEST, UTC+2
    gone = booking(berlin(2026, 3, 30, 11))
    provider.upsert_event(gone)
    provider.delete_event(gone.uid)

    busy = provider.busy_times(berlin(2026, 3, 28), berlin(2026, 3, 31))

    assert busy == [
        BusyInterval(utc(2026, 3, 28, 8), utc(2026, 3, 28, 8, 30)),
        BusyInterval(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2)),
        BusyInterval(utc(2026, 3, 30, 7), utc(2026, 3, 30, 7, 30)),
    ]
    [schedule] = microsoft_server.requests("getSchedule")
    assert schedule.status == 200


def test_a_meeting_in_the_repeated_hour_keeps_its_instant(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    second = booking(berlin(2026, 10, 25, 2, 30, fold=1))  # 02:30 CET, after the clocks went back

    provider.upsert_event(second)

    assert provider.busy_times(berlin(2026, 10, 25), berlin(2026, 10, 26)) == [
        BusyInterval(utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2))
    ]
    [stored] = microsoft_server.events()
    assert stored["start"] == {"dateTime": "2026-10-25T01:30:00", "timeZone": "UTC"}


def test_busy_times_end_where_the_range_ends(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server)
    provider.upsert_event(booking(berlin(2026, 6, 1, 9), minutes=60))

    assert provider.busy_times(berlin(2026, 6, 1, 9, 30), berlin(2026, 6, 1, 12)) == [
        BusyInterval(utc(2026, 6, 1, 7, 30), utc(2026, 6, 1, 8))
    ]


def test_the_schedule_of_an_unknown_mailbox_is_refused(microsoft_server: MicrosoftServer) -> None:
    provider = connect(microsoft_server, mailbox="nobody@contoso.example")

    with pytest.raises(Rejected) as refused:
        provider.busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert "ErrorMailRecipientNotFound" in str(refused.value)
    assert refused.value.retryable is False


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "kind", "waited"),
    [
        (429, 10, RateLimited, 10.0),
        (429, None, RateLimited, None),
        (503, 20, Unavailable, 20.0),
        (504, 3, Unavailable, 3.0),
        (500, None, Unavailable, None),
    ],
)
def test_throttling_and_outages_are_retryable_with_the_wait_graph_asked_for(
    microsoft_server: MicrosoftServer, status: int, retry_after: int | None, kind: type, waited: float | None
) -> None:
    microsoft_server.fail_next(1, status, retry_after=retry_after)

    with pytest.raises(kind) as failed:
        connect(microsoft_server).upsert_event(booking(berlin(2026, 6, 1, 9)))

    assert type(failed.value) is kind
    assert (failed.value.status, failed.value.retry_after, failed.value.retryable) == (status, waited, True)
    assert microsoft_server.events() == []


@pytest.mark.parametrize(
    ("status", "code"), [(400, "ErrorInvalidRequest"), (403, "ErrorAccessDenied"), (404, "ErrorItemNotFound")]
)
def test_other_refusals_are_rejected_for_good(microsoft_server: MicrosoftServer, status: int, code: str) -> None:
    microsoft_server.fail_next(1, status, reason=code)

    with pytest.raises(Rejected) as refused:
        connect(microsoft_server).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert type(refused.value) is Rejected
    assert code in str(refused.value)
    assert (refused.value.status, refused.value.retryable) == (status, False)


# --- tokens ------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_once_and_the_call_made_again(microsoft_server: MicrosoftServer) -> None:
    refreshed: list[Tokens] = []
    tokens = microsoft_server.grant_tokens()
    provider = connect(microsoft_server, tokens, refreshed)
    microsoft_server.expire_all_tokens()

    provider.upsert_event(booking(berlin(2026, 6, 1, 9)))

    assert len(microsoft_server.events()) == 1
    assert [(r.method, r.status) for r in microsoft_server.requests()][:3] == [
        ("GET", 401),
        ("POST", 200),
        ("GET", 200),
    ]
    [new] = refreshed
    assert new.access_token != tokens.access_token
    assert new.refresh_token != tokens.refresh_token  # Microsoft hands out a new one: it must be stored
    assert provider.session.tokens == new
    assert microsoft_server.oauth_client().refresh(new.refresh_token).access_token


def test_an_access_token_refused_again_after_a_refresh_is_expired_auth(microsoft_server: MicrosoftServer) -> None:
    refreshed: list[Tokens] = []
    microsoft_server.fail_next(2, 401, reason="InvalidAuthenticationToken")

    with pytest.raises(AuthExpired):
        connect(microsoft_server, refreshed=refreshed).delete_event(str(uuid4()))

    assert len(refreshed) == 1
    assert len(microsoft_server.requests("/me/")) == 2


def test_a_revoked_grant_is_auth_revoked_and_not_retried(microsoft_server: MicrosoftServer) -> None:
    tokens = microsoft_server.grant_tokens()
    microsoft_server.revoke(tokens.refresh_token)

    with pytest.raises(AuthRevoked) as revoked:
        connect(microsoft_server, tokens).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2))

    assert "AADSTS70000" in str(revoked.value)
    assert revoked.value.retryable is False


# --- connecting --------------------------------------------------------------------------------


def test_the_authorization_code_flow_gives_tokens_that_work(microsoft_server: MicrosoftServer) -> None:
    client = microsoft_server.oauth_client()
    url = client.authorization_url("st4te-2", REDIRECT_URI, CHALLENGE)
    asked = parse_qs(urlsplit(url).query)
    assert "offline_access" in asked["scope"][0].split()

    consent = requests.get(url, allow_redirects=False, timeout=5)

    assert consent.status_code == 302
    back = parse_qs(urlsplit(consent.headers["Location"]).query)
    assert back["state"] == ["st4te-2"]
    tokens = client.exchange_code(back["code"][0], REDIRECT_URI, VERIFIER)
    assert tokens.refresh_token and tokens.access_token
    assert tokens.expires_at - datetime.now(UTC) > timedelta(minutes=55)
    assert connect(microsoft_server, tokens).busy_times(berlin(2026, 6, 1), berlin(2026, 6, 2)) == []


def test_a_code_for_another_redirect_uri_is_refused(microsoft_server: MicrosoftServer) -> None:
    client = microsoft_server.oauth_client()
    consent = requests.get(client.authorization_url("s", REDIRECT_URI, CHALLENGE), allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]

    with pytest.raises(AuthRevoked):
        client.exchange_code(code, "http://testserver/somewhere-else", VERIFIER)
