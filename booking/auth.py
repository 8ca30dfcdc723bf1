"""Who may call, for every API: organisation API keys (Bearer) and per-booking cancel tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from booking.api_keys import organisation_for


def cancel_token(uid: UUID, generation: int = 0) -> str:
    """Derived, never stored: HMAC of the booking uid and its token generation under the deployment's
    secret key. Generation 0 is the original derivation, so tokens issued before rotation still work."""
    subject = f"cancel-token/{uid}" if generation == 0 else f"cancel-token/{uid}/{generation}"
    mac = hmac.new(settings.SECRET_KEY.encode(), subject.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def cancel_token_matches(uid: UUID, generation: int, token: str) -> bool:
    """Whether `token` is the booking's current one, compared in constant time. A token of any other
    shape (not ASCII, too long) is simply no match."""
    if not token.isascii():
        return False  # compare_digest raises on non-ASCII text; no token of ours has any
    return hmac.compare_digest(cancel_token(uid, generation), token)


class InvalidKey(Exception):
    """An Authorization header was sent and it does not hold a live key: refused (401), never
    treated as anonymous."""


def optional_organisation(request: HttpRequest) -> UUID | None:
    """The caller's organisation, or None when no key was sent; InvalidKey for a bad one."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    organisation = organisation_for(token.strip()) if scheme.lower() == "bearer" and token else None
    if organisation is None:
        raise InvalidKey
    return organisation
