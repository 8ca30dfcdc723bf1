"""Hosts connect Google and Microsoft calendars through the OAuth authorization-code flow, against
contract servers that follow each provider's documented requests and errors; bookings then sync
with tokens refreshed (and stored) on the way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from booking.application import Slotwise
from providers.calendar_sync import sync_booking
from providers.effects import perform
from providers.models import CalendarAccount, SideEffect
from providers.secrets import unseal
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.oauth_browser import callback, consent, use_provider

SERVERS = ["google_server", "microsoft_server"]


@pytest.fixture(params=SERVERS)
def provider_server(request: pytest.FixtureRequest, settings: Any) -> Any:
    return use_provider(settings, request.getfixturevalue(request.param))


def test_a_host_connects_a_calendar_and_bookings_reach_it(
    app: Slotwise, api: Api, public: Api, provider_server: Any
) -> None:
    host = make_host(api)
    event_type = make_event_type(api, host)
    connected = callback(public, consent(api, public, host, provider_server.provider))
    assert connected.status == 201, connected.body
    calendar = connected.data
    label = "ada@example.com" if provider_server.provider == "google" else "ada@contoso.example"
    assert (calendar["provider"], calendar["username"], calendar["status"]) == (
        provider_server.provider,
        label,
        "connected",
    )
    assert [c["id"] for c in api.get(f"/hosts/{host}/calendars").data] == [calendar["id"]]
    account = CalendarAccount.objects.get(id=calendar["id"])
    stored = unseal(account.secret)
    assert stored["refresh_token"] and stored["refresh_token"] not in account.secret  # sealed at rest

    booking = app.book_slot(UUID(event_type), datetime(2026, 1, 7, 9, tzinfo=UTC), attendee()).subject
    assert sync_booking(account, booking.id) == "upserted"
    assert len(provider_server.events()) == 1

    provider_server.expire_all_tokens()  # an hour later: the access token is refused
    app.cancel_booking(booking.id, "moved on")
    assert sync_booking(CalendarAccount.objects.get(id=account.id), booking.id) == "deleted"
    live = [e for e in provider_server.events() if e.get("status") != "cancelled"]
    assert live == []
    refreshed = unseal(CalendarAccount.objects.get(id=account.id).secret)
    assert refreshed["access_token"] != stored["access_token"]  # the new token was stored for next time


def test_the_browser_goes_back_where_the_client_asked(api: Api, public: Api, provider_server: Any) -> None:
    host = make_host(api)
    query = consent(api, public, host, provider_server.provider, returnTo="https://app.example/settings?tab=calendars")
    answer = callback(public, query)
    assert answer.status == 302
    back = urlsplit(answer.headers["Location"])
    assert (back.netloc, back.path) == ("app.example", "/settings")
    calendar_id = parse_qs(back.query)["calendarId"][0]
    assert parse_qs(back.query)["tab"] == ["calendars"]
    assert CalendarAccount.objects.filter(id=calendar_id, host_id=host).exists()


def test_bad_callbacks_are_refused_and_connect_nothing(api: Api, public: Api, provider_server: Any) -> None:
    host = make_host(api)
    query = consent(api, public, host, provider_server.provider)
    tampered = {**query, "state": [query["state"][0][:-2] + "xx"]}
    cases = [
        ({"code": query["code"]}, "state"),
        (tampered, "state"),
        ({"state": query["state"]}, "code"),
        ({**query, "code": ["not-a-code"]}, "code"),
        ({"state": query["state"], "error": ["access_denied"]}, "error"),
    ]
    for params, field in cases:
        reply = callback(public, params)
        assert (reply.status, reply.fields) == (422, [field]), (params, reply.body)
    assert callback(public, query).status == 201
    assert callback(public, query).fields == ["state"]  # a consent is good once (and its code at the provider)
    assert CalendarAccount.objects.filter(host_id=host).count() == 1


def test_connecting_needs_a_configured_provider_and_the_organisation_key(api: Api, public: Api, settings: Any) -> None:
    host = make_host(api)
    settings.SLOTWISE_OAUTH = {name: {**config, "client_id": ""} for name, config in settings.SLOTWISE_OAUTH.items()}
    assert api.get(f"/hosts/{host}/calendars/google/connect").fields == ["provider"]
    assert api.get(f"/hosts/{host}/calendars/yahoo/connect").fields == ["provider"]
    assert public.get(f"/hosts/{host}/calendars/google/connect").status == 401


def test_withdrawn_access_shows_on_the_calendar_until_the_host_reconnects(
    app: Slotwise, api: Api, public: Api, google_server: Any, settings: Any
) -> None:
    use_provider(settings, google_server)
    host = make_host(api)
    event_type = make_event_type(api, host)
    calendar = callback(public, consent(api, public, host, "google")).data
    account = CalendarAccount.objects.get(id=calendar["id"])
    google_server.revoke(unseal(account.secret)["refresh_token"])
    google_server.expire_all_tokens()
    booking = app.book_slot(UUID(event_type), datetime(2026, 1, 7, 9, tzinfo=UTC), attendee()).subject
    effect = SideEffect.objects.create(
        key=f"x/calendar.sync/{account.id}",
        handler="calendar.sync",
        target=str(account.id),
        event_id=booking.id,
        aggregate_id=booking.id,
        position=1,
    )
    from providers import calendar_sync

    assert perform(effect.id, calendar_sync.HANDLER.policy, calendar_sync.run) == "failed"  # no point retrying
    assert api.get(f"/hosts/{host}/calendars").data[0]["status"] == "reconnect_required"
    again = callback(public, consent(api, public, host, "google"))
    assert again.status == 201 and again.data["id"] == calendar["id"]  # the same calendar, new tokens
    assert api.get(f"/hosts/{host}/calendars").data[0]["status"] == "connected"
    assert perform(effect.id, calendar_sync.HANDLER.policy, calendar_sync.run) == "upserted"  # due again
    assert len(google_server.events()) == 1
