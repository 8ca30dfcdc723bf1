"""A provider's OAuth 2.0 authorization server (RFC 6749, authorization code grant), as Google and
Microsoft run theirs, for one registered client and one user who always consents.

The authorize endpoint checks the client and the redirect URI before anything else (an unknown
one gets an error page, never a redirect), then redirects with `code` and `state`. A code is
good once, for ten minutes, with the redirect URI it was issued for. A refresh token comes only
with offline access; revoking it ends the grant, its access tokens included (`invalid_grant`).

PKCE (RFC 7636), optional for web clients as at both providers: a code asked for with a
`code_challenge` (S256, or plain when no method is named) is redeemed only with the matching
`code_verifier`; a missing or wrong one is `invalid_grant`, worded as the provider words it
(`pkce_error`), which may also refuse a verifier sent for a code asked for without a challenge.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from secrets import token_hex, token_urlsafe
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from providers.oauth import Tokens
from tests.integration.provider_servers.messages import Answer

PKCE_VALUE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1, §4.2
PKCE_METHODS = ("S256", "plain")


@dataclass
class Grant:
    """What the user consented to: this client acting for `user` within `scopes`."""

    user: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class _Code:
    redirect_uri: str
    scopes: frozenset[str]
    offline: bool
    expires_at: float
    challenge: str | None = None  # PKCE: what the token request's verifier must come to
    challenge_method: str = "plain"
    used: bool = False


@dataclass
class _Access:
    grant: Grant
    expires_at: float  # time.time()


class AuthorizationServer:
    def __init__(
        self,
        *,
        user: str,
        default_scope: str,
        offline: Callable[[dict[str, str], frozenset[str]], bool],
        error_body: Callable[[str, str], dict[str, Any]],
        pkce_error: Callable[[str], dict[str, Any] | None],
        rotates_refresh_tokens: bool,
        lifetime: int = 3599,
        redirect_uris: Collection[str] | None = None,
    ) -> None:
        self.user = user
        self.default_scope = default_scope
        self.offline = offline  # whether an authorization request asked for a refresh token
        self.error_body = error_body  # the provider's shape of a token endpoint error
        self.pkce_error = pkce_error  # its refusal for "missing", "mismatch", "unneeded" (None: no refusal)
        self.rotates_refresh_tokens = rotates_refresh_tokens
        self.lifetime = lifetime
        self.redirect_uris = set(redirect_uris) if redirect_uris is not None else None  # None: any http(s) URI
        self.client_id = f"{token_hex(6)}.apps.slotwise.test"
        self.client_secret = token_urlsafe(24)
        self.deny_next = False
        self._codes: dict[str, _Code] = {}
        self._refresh_tokens: dict[str, Grant] = {}
        self._access_tokens: dict[str, _Access] = {}

    def authorize(self, query: dict[str, str]) -> Answer:
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state")
        if query.get("client_id") != self.client_id:
            return Answer(401, _page("invalid_client", "The OAuth client was not found."))
        if not self._registered(redirect_uri):
            return Answer(400, _page("redirect_uri_mismatch", "The redirect URI is not registered for this client."))
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        scopes = frozenset(query.get("scope", "").split())
        if not scopes:
            return _redirect(redirect_uri, error="invalid_request", error_description="Missing scope", state=state)
        challenge, method = query.get("code_challenge"), query.get("code_challenge_method") or "plain"
        if challenge is not None and method not in PKCE_METHODS:
            return _redirect(
                redirect_uri, error="invalid_request", error_description="Invalid code_challenge_method", state=state
            )
        if challenge is not None and not PKCE_VALUE.fullmatch(challenge):
            return _redirect(
                redirect_uri, error="invalid_request", error_description="Invalid code_challenge", state=state
            )
        if self.deny_next:
            self.deny_next = False
            return _redirect(redirect_uri, error="access_denied", state=state)
        code = token_urlsafe(24)
        offline = self.offline(query, scopes)
        self._codes[code] = _Code(redirect_uri, scopes, offline, time.time() + 600, challenge, method)
        return _redirect(redirect_uri, code=code, state=state, scope=" ".join(sorted(scopes)))

    def token(self, form: dict[str, str], authorization: str | None) -> Answer:
        client_id, client_secret = _client_credentials(form, authorization)
        if client_id != self.client_id or client_secret != self.client_secret:
            return self._error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._redeem(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return self._error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def grant_for(self, access_token: str | None) -> Grant | None:
        """The grant behind a live access token, or None (unknown, expired or revoked)."""
        access = self._access_tokens.get(access_token or "")
        if access is None or access.expires_at <= time.time() or access.grant.revoked:
            return None
        return access.grant

    def grant_tokens(self, scope: str | None = None) -> Tokens:
        grant = Grant(self.user, frozenset((scope or self.default_scope).split()))
        refresh_token = self._new_refresh_token(grant)
        body = self._issue(grant, refresh_token)
        expires_at = datetime.now(UTC) + timedelta(seconds=self.lifetime)
        return Tokens(body["access_token"], refresh_token, expires_at, body["scope"])

    def expire_all(self) -> None:
        for access in self._access_tokens.values():
            access.expires_at = 0.0

    def revoke(self, refresh_token: str) -> None:
        grant = self._refresh_tokens.get(refresh_token)
        if grant is not None:
            grant.revoked = True

    def _redeem(self, form: dict[str, str]) -> Answer:
        if not form.get("code"):
            return self._error(400, "invalid_request", "Missing required parameter: code")
        code = self._codes.get(form["code"])
        if code is None or code.used or code.expires_at <= time.time():
            return self._error(400, "invalid_grant", "Malformed auth code.")
        if code.redirect_uri != form.get("redirect_uri"):
            return self._error(400, "invalid_grant", "The redirect_uri does not match the authorization request.")
        refusal = self._pkce_refusal(code, form.get("code_verifier"))
        if refusal is not None:
            return Answer(400, refusal, {"Cache-Control": "no-store"})
        code.used = True
        grant = Grant(self.user, code.scopes)
        return self._tokens(grant, self._new_refresh_token(grant) if code.offline else None)

    def _pkce_refusal(self, code: _Code, verifier: str | None) -> dict[str, Any] | None:
        if code.challenge is None:
            return self.pkce_error("unneeded") if verifier is not None else None
        if not verifier:
            return self._pkce_error("missing")
        shown = _s256(verifier) if code.challenge_method == "S256" else verifier
        if not PKCE_VALUE.fullmatch(verifier) or shown != code.challenge:
            return self._pkce_error("mismatch")
        return None

    def _pkce_error(self, reason: str) -> dict[str, Any]:
        """A verifier that is missing or wrong is always refused, in the provider's words if it has some."""
        return self.pkce_error(reason) or self.error_body("invalid_grant", "PKCE verification failed.")

    def _refresh(self, form: dict[str, str]) -> Answer:
        grant = self._refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.revoked:
            return self._error(400, "invalid_grant", "Token has been expired or revoked.")
        return self._tokens(grant, self._new_refresh_token(grant) if self.rotates_refresh_tokens else None)

    def _tokens(self, grant: Grant, refresh_token: str | None) -> Answer:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return Answer(200, self._issue(grant, refresh_token), headers)

    def _issue(self, grant: Grant, refresh_token: str | None) -> dict[str, Any]:
        access_token = token_urlsafe(32)
        self._access_tokens[access_token] = _Access(grant, time.time() + self.lifetime)
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": " ".join(sorted(grant.scopes)),
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body

    def _new_refresh_token(self, grant: Grant) -> str:
        refresh_token = token_urlsafe(32)
        self._refresh_tokens[refresh_token] = grant
        return refresh_token

    def _registered(self, redirect_uri: str) -> bool:
        if self.redirect_uris is not None:
            return redirect_uri in self.redirect_uris
        parts = urlsplit(redirect_uri)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment

    def _error(self, status: int, error: str, description: str) -> Answer:
        return Answer(status, self.error_body(error, description), {"Cache-Control": "no-store"})


def _s256(verifier: str) -> str:
    """RFC 7636 §4.2, written out here on purpose: the server must not share the client's code."""
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _client_credentials(form: dict[str, str], authorization: str | None) -> tuple[str, str]:
    """client_secret_post, or HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1)."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return "", ""
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _redirect(redirect_uri: str, **params: str | None) -> Answer:
    query = urlencode({name: value for name, value in params.items() if value is not None})
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return Answer(302, None, {"Location": f"{redirect_uri}{joiner}{query}"})


def _page(error: str, description: str) -> str:
    return f"<!doctype html><title>Error</title><h1>Error: {escape(error)}</h1><p>{escape(description)}</p>"
