"""A consent in progress, held on this server (OAuthConsent) from `connect` until its callback.

- `issue`: a new consent with a fresh PKCE verifier; its nonce goes in the link we hand out.
- `live`: the consent a link names, while it may still be opened; looking binds nothing, so the
  page the link shows can be fetched by anyone (a mail or chat scanner) without using it up.
- `open_in`: the first browser that presses that page's button is bound to the consent (the hash
  of that browser's cookie is kept) and gets the signed `state` for the provider; any other
  browser is refused.
- `pending` / `use_up`: the callback must come from the same browser, with a state of ours, before
  the consent expires; it is then used up, so a replayed callback finds nothing.

The API client that asks for the link need not be the host's browser, hence the extra step in
the browser: only a request from that browser carries the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from secrets import token_urlsafe
from typing import Any, TypeGuard
from uuid import UUID

from django.core import signing
from django.utils import timezone

from booking.domain.errors import InvalidValue
from providers import pkce
from providers.models import OAuthConsent

STATE_SALT = "slotwise.calendars.connect"
STATE_SECONDS = 600
# token_urlsafe(32): a consent's nonce and a browser's id. Nothing else is looked up or hashed, so
# a NUL, a lone surrogate or a megabyte never reaches the database (PostgreSQL refuses NUL in text)
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
STATE_SHAPE = re.compile(r"[A-Za-z0-9_:-]{1,256}")  # signing.dumps: base64url payload:timestamp:signature


def issue(organisation_id: UUID, host_id: UUID, provider: str, return_to: str | None) -> OAuthConsent:
    """A consent good for STATE_SECONDS, not yet opened in any browser."""
    now = timezone.now()
    OAuthConsent.objects.filter(expires_at__lte=now).delete()  # forgotten ones: nothing else clears them
    consent: OAuthConsent = OAuthConsent.objects.create(
        id=token_urlsafe(32),
        organisation_id=organisation_id,
        host_id=host_id,
        provider=provider,
        return_to=return_to,
        code_verifier=pkce.code_verifier(),
        expires_at=now + timedelta(seconds=STATE_SECONDS),
    )
    return consent


@dataclass(frozen=True)
class Opened:
    consent: OAuthConsent
    state: str
    browser: str  # the browser's id, for its cookie


def open_in(nonce: str | None, browser: str | None) -> Opened:
    """Binds the consent to the browser that opened its link (`browser`: its cookie, if any)."""
    consent = live(nonce)
    browser = browser if _shaped(browser) else token_urlsafe(32)
    seen = _fingerprint(browser)
    if not consent.browser:
        # the first browser wins, also against one opening the link at the same moment
        OAuthConsent.objects.filter(pk=consent.pk, browser="").update(browser=seen)
        consent.refresh_from_db(fields=["browser"])
    if not hmac.compare_digest(consent.browser, seen):
        raise InvalidValue.single("consent", "was opened in another browser: start connecting again")
    state = signing.dumps({"c": consent.pk}, salt=STATE_SALT)
    return Opened(consent, state, browser)


def pending(state: str | None, browser: str | None) -> OAuthConsent:
    """The consent a callback's state names, if it is still open and this is the browser that opened it."""
    nonce = _claims(state).get("c")
    if not _shaped(nonce):  # signed by us, so never in practice: still, only a nonce's shape is looked up
        raise InvalidValue.single("state", "was not issued by this server")
    consent = _open(nonce, "state", "has been used already (or has expired): start connecting again")
    if not _shaped(browser) or not consent.browser or not hmac.compare_digest(consent.browser, _fingerprint(browser)):
        raise InvalidValue.single("state", "belongs to a consent opened in another browser")
    return consent


def use_up(consent: OAuthConsent) -> None:
    """The consent is spent (its code was redeemed); of two callbacks at once only one gets here."""
    deleted, _ = OAuthConsent.objects.filter(pk=consent.pk).delete()
    if not deleted:
        raise InvalidValue.single("state", "has been used already: start connecting again")


def live(nonce: str | None) -> OAuthConsent:
    """The consent `nonce` names, if it is still open (bound to a browser or not)."""
    if not nonce:
        raise InvalidValue.single("consent", "is required")
    if not _shaped(nonce):  # no link of ours looks like this: not worth a query
        raise InvalidValue.single("consent", "is unknown or was used already: start connecting again")
    return _open(nonce, "consent", "is unknown or was used already: start connecting again")


def _open(nonce: str, field: str, gone: str) -> OAuthConsent:
    """The unexpired consent `nonce` names; InvalidValue naming `field` (`gone` when there is none)."""
    consent: OAuthConsent | None = OAuthConsent.objects.filter(pk=nonce).first()
    if consent is None:
        raise InvalidValue.single(field, gone)
    if consent.expires_at <= timezone.now():
        raise InvalidValue.single(field, "has expired: start connecting again")
    return consent


def _claims(state: str | None) -> dict[str, Any]:
    if not state:
        raise InvalidValue.single("state", "is required")
    if not STATE_SHAPE.fullmatch(state):  # the signer would choke on some (a lone surrogate), none is ours
        raise InvalidValue.single("state", "was not issued by this server")
    try:
        found: dict[str, Any] = signing.loads(state, salt=STATE_SALT, max_age=STATE_SECONDS)
    except signing.SignatureExpired:
        raise InvalidValue.single("state", "has expired: start connecting again") from None
    except signing.BadSignature:
        raise InvalidValue.single("state", "was not issued by this server") from None
    return found


def _shaped(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and TOKEN_SHAPE.fullmatch(value) is not None


def _fingerprint(browser: str) -> str:
    """What is kept of a browser's id: its hash, so the table alone cannot stand in for the cookie."""
    return hashlib.sha256(browser.encode()).hexdigest()
