"""Connecting a Google or Microsoft calendar: the OAuth 2.0 authorization-code flow with PKCE,
bound to the host's browser.

1. `authorization(...)` (the API client, organisation key) starts a consent kept on this server
   (providers.consents) with a fresh PKCE verifier, and gives a link to our own START_PATH; the
   consent must be completed within ten minutes. `returnTo` must be on an allowed origin.
2. `landing(...)`: the host's browser follows the link to a page of ours with one button; looking
   at it binds nothing (a link scanner's GET uses nothing up). `open_consent(...)`: the button
   posts back, and that browser is bound to the consent (a cookie only it holds) and sent on to
   the provider's consent page with the signed `state` and the verifier's S256 challenge.
3. The provider sends the browser to our callback with `code` and `state`; `finish(...)` checks the
   state and that the same browser is back, exchanges the code (with the verifier) for tokens, uses
   the consent up (a replayed callback finds nothing), finds the account's own calendar (and, for
   Microsoft, the mailbox its free/busy is asked by), checks free/busy can be read, and keeps the
   tokens sealed. Connecting the same account again replaces its tokens (a reconnect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

import requests
from django.conf import settings
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue
from providers import consents, oauth, pkce, secrets
from providers.base import ProviderError
from providers.calendar_sync import adapter_for
from providers.google import google_error
from providers.http_errors import json_object
from providers.microsoft import graph_error
from providers.models import CalendarAccount, OAuthConsent, SideEffect
from providers.return_to import checked_return_to

OAUTH_PROVIDERS = ("google", "microsoft")
START_PATH = "/api/v1/calendars/oauth/start"
CALLBACK_PATH = "/api/v1/calendars/oauth/callback"


def callback_url() -> str:
    return f"{settings.SLOTWISE_PUBLIC_URL}{CALLBACK_PATH}"


@dataclass(frozen=True)
class Consent:
    url: str
    expires_at: datetime


def authorization(organisation_id: UUID, host_id: UUID, provider: str, return_to: str | None) -> Consent:
    """Where to send the host's browser to let Slotwise use one of their calendars (a page of ours
    that leads on to the provider's consent page)."""
    if provider not in OAUTH_PROVIDERS:
        raise InvalidValue.single("provider", "must be google or microsoft (CalDAV connects with a password)")
    if not oauth.configured(provider):
        raise InvalidValue.single("provider", f"{provider} calendars are not enabled on this server")
    consent = consents.issue(organisation_id, host_id, provider, checked_return_to(return_to))
    link = f"{settings.SLOTWISE_PUBLIC_URL}{START_PATH}?{urlencode({'consent': consent.pk})}"
    return Consent(link, consent.expires_at)


@dataclass(frozen=True)
class Landing:
    nonce: str
    provider: str  # google | microsoft
    provider_origin: str  # where the page's button leads on to (scheme://host[:port])


def landing(nonce: str | None) -> Landing:
    """The consent a link names, for the page that asks the host to go on; binds nothing."""
    consent = consents.live(nonce)
    authorize = urlsplit(_client(consent.provider).authorize_url)
    return Landing(consent.pk, consent.provider, f"{authorize.scheme}://{authorize.netloc}")


@dataclass(frozen=True)
class Redirect:
    url: str  # the provider's consent page
    browser: str  # the id the browser keeps in its cookie until the callback


def open_consent(nonce: str | None, browser: str | None) -> Redirect:
    """The host's browser, having pressed the button: bound to the consent, then on to the provider."""
    opened = consents.open_in(nonce, browser)
    challenge = pkce.code_challenge(opened.consent.code_verifier)
    client = _client(opened.consent.provider)
    return Redirect(client.authorization_url(opened.state, callback_url(), challenge), opened.browser)


@dataclass(frozen=True)
class Connected:
    account: CalendarAccount
    return_to: str | None


def finish(code: str | None, state: str | None, error: str | None, browser: str | None) -> Connected:
    """The callback: tokens for the code, the account's calendar found and checked, kept sealed."""
    consent = consents.pending(state, browser)
    if error:
        raise InvalidValue.single("error", f"the provider did not grant access: {error}")
    if not code:
        raise InvalidValue.single("code", "is required")
    host = get_app().host(consent.organisation_id, consent.host_id)  # NotFound if it went away meanwhile
    client = _client(consent.provider)
    try:
        tokens = client.exchange_code(code, callback_url(), consent.code_verifier)
        consents.use_up(consent)  # its code is redeemed: a replay of this callback finds nothing
        calendar_id, label = _identify(consent.provider, oauth.TokenSession(client, tokens))
    except ProviderError as refused:
        raise InvalidValue.single("code", f"the provider refused it: {refused}") from None
    return Connected(_keep(consent, host.id, calendar_id, label, tokens), consent.return_to)


def _client(provider: str) -> oauth.OAuthClient:
    if not oauth.configured(provider):  # switched off since the consent began
        raise InvalidValue.single("provider", f"{provider} calendars are not enabled on this server")
    return oauth.client_for(provider)


def _keep(consent: OAuthConsent, host_id: UUID, calendar_id: str, label: str, tokens: oauth.Tokens) -> CalendarAccount:
    """The host's account for this calendar, new or reconnected, with the tokens sealed."""
    account = CalendarAccount.objects.filter(
        host_id=host_id, provider=consent.provider, username=label, disconnected_at__isnull=True
    ).first() or CalendarAccount(
        organisation_id=consent.organisation_id, host_id=host_id, provider=consent.provider, username=label
    )
    account.url, account.secret, account.auth_failed_at = calendar_id, secrets.seal(tokens.to_dict()), None
    _check(account)
    account.save()
    # syncs that failed while access was withdrawn are due again (a sync writes current state)
    SideEffect.objects.filter(handler="calendar.sync", target=str(account.id), state=SideEffect.FAILED).update(
        state=SideEffect.PENDING, attempts=0, not_before=None, enqueued_at=None, done_at=None
    )
    return account


def _identify(provider: str, session: oauth.TokenSession) -> tuple[str, str]:
    """The account's own calendar id and a label for it (its address)."""
    api = oauth.api_url_for(provider)
    if provider == "google":
        listed = _json(provider, session.request("GET", f"{api}/users/me/calendarList"))
        primary = next((c for c in listed.get("items", []) if c.get("primary")), None)
        if primary is None:
            raise InvalidValue.single("code", "the Google account has no primary calendar")
        return str(primary["id"]), str(primary["id"])
    me = _json(provider, session.request("GET", f"{api}/me"))
    mailbox = me.get("mail") or me.get("userPrincipalName")
    if not mailbox:
        raise InvalidValue.single("code", "the Microsoft account has no mailbox")
    return "", str(mailbox)  # "": the mailbox's default calendar


def _json(provider: str, response: requests.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        explain = google_error if provider == "google" else graph_error
        raise explain(str(response.request.method), str(response.url), response)
    found = json_object(response.content)
    if not found:
        raise InvalidValue.single("code", f"the provider's answer to {response.request.method} was not usable")
    return found


def _check(account: CalendarAccount) -> None:
    """Free/busy must be readable before the calendar is relied on."""
    now = timezone.now()
    try:
        adapter_for(account).busy_times(now, now + timedelta(hours=1))
    except ProviderError as refused:
        raise InvalidValue.single("code", f"the calendar could not be read: {refused}") from None
