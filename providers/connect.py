"""Connecting a Google or Microsoft calendar: the OAuth 2.0 authorization-code flow.

1. `authorization(...)` gives the provider's consent URL. Its `state` is signed by this server
   and names the organisation, the host and where to send the browser afterwards; it is good
   for ten minutes. (A replayed callback fails anyway: a code is good once at the provider.)
2. The provider sends the browser to our callback with `code` and `state`; `finish(...)`
   checks the state, exchanges the code for tokens, finds the account's own calendar (and, for
   Microsoft, the mailbox its free/busy is asked by), checks free/busy can be read, and keeps
   the tokens sealed. Connecting the same account again replaces its tokens (a reconnect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from secrets import token_urlsafe
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import requests
from django.conf import settings
from django.core import signing
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue
from providers import oauth, secrets
from providers.base import ProviderError
from providers.calendar_sync import adapter_for
from providers.google import google_error
from providers.http_errors import json_object
from providers.microsoft import graph_error
from providers.models import CalendarAccount, SideEffect

OAUTH_PROVIDERS = ("google", "microsoft")
STATE_SALT = "slotwise.calendars.connect"
STATE_SECONDS = 600
CALLBACK_PATH = "/api/v1/calendars/oauth/callback"


def callback_url() -> str:
    return f"{settings.SLOTWISE_PUBLIC_URL}{CALLBACK_PATH}"


@dataclass(frozen=True)
class Consent:
    url: str
    expires_at: datetime


def authorization(organisation_id: UUID, host_id: UUID, provider: str, return_to: str | None) -> Consent:
    """Where to send the host's browser to let Slotwise use one of their calendars."""
    if provider not in OAUTH_PROVIDERS:
        raise InvalidValue.single("provider", "must be google or microsoft (CalDAV connects with a password)")
    if not oauth.configured(provider):
        raise InvalidValue.single("provider", f"{provider} calendars are not enabled on this server")
    if return_to is not None and (
        urlsplit(return_to).scheme not in ("http", "https") or not urlsplit(return_to).netloc
    ):
        raise InvalidValue.single("returnTo", "must be an http(s) URL")
    claims = {"o": str(organisation_id), "h": str(host_id), "p": provider, "r": return_to, "n": token_urlsafe(8)}
    state = signing.dumps(claims, salt=STATE_SALT, compress=True)
    expires = datetime.now(UTC) + timedelta(seconds=STATE_SECONDS)
    return Consent(oauth.client_for(provider).authorization_url(state, callback_url()), expires)


@dataclass(frozen=True)
class Connected:
    account: CalendarAccount
    return_to: str | None


def finish(code: str | None, state: str | None, error: str | None) -> Connected:
    """The callback: tokens for the code, the account's calendar found and checked, kept sealed."""
    claims = _claims(state)
    if error:
        raise InvalidValue.single("error", f"the provider did not grant access: {error}")
    if not code:
        raise InvalidValue.single("code", "is required")
    organisation_id, host_id, provider = UUID(claims["o"]), UUID(claims["h"]), str(claims["p"])
    host = get_app().host(organisation_id, host_id)  # NotFound if it went away meanwhile
    client = oauth.client_for(provider)
    try:
        tokens = client.exchange_code(code, callback_url())
        calendar_id, label = _identify(provider, oauth.TokenSession(client, tokens))
    except ProviderError as refused:
        raise InvalidValue.single("code", f"the provider refused it: {refused}") from None
    account = CalendarAccount.objects.filter(
        host_id=host.id, provider=provider, username=label, disconnected_at__isnull=True
    ).first() or CalendarAccount(organisation_id=organisation_id, host_id=host.id, provider=provider, username=label)
    account.url, account.secret, account.auth_failed_at = calendar_id, secrets.seal(tokens.to_dict()), None
    _check(account)
    account.save()
    # syncs that failed while access was withdrawn are due again (a sync writes current state)
    SideEffect.objects.filter(handler="calendar.sync", target=str(account.id), state=SideEffect.FAILED).update(
        state=SideEffect.PENDING, attempts=0, not_before=None, enqueued_at=None, done_at=None
    )
    return Connected(account, claims.get("r"))


def _claims(state: str | None) -> dict[str, Any]:
    if not state:
        raise InvalidValue.single("state", "is required")
    try:
        found: dict[str, Any] = signing.loads(state, salt=STATE_SALT, max_age=STATE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidValue.single("state", "has expired: start connecting again") from None
    except signing.BadSignature:
        raise InvalidValue.single("state", "was not issued by this server") from None
    return found


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
