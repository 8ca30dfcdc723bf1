"""OAuth 2.0, client side, for Google and Microsoft: the consent link, the code exchange and refresh,
and the session that keeps an adapter's access token fresh. Both providers document PKCE for web
applications (RFC 7636, S256); the consent link always carries a challenge and the exchange its verifier.

Tokens are stored sealed (providers.secrets) as `Tokens.to_dict()`. A refresh token that the
provider no longer honours (`invalid_grant`) is AuthRevoked: only the host connecting again helps,
so it is never retried. Everything else the token endpoint says maps like any other HTTP answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from django.conf import settings

from providers import pkce
from providers.base import AuthExpired, AuthRevoked, ProviderError, Rejected, Unavailable
from providers.http_errors import error_for_status, json_object, retry_after_seconds

SCOPES: dict[str, tuple[str, ...]] = {
    "google": (
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.freebusy",
    ),
    # User.Read: the signed-in mailbox's address, which getSchedule asks by
    "microsoft": (
        "offline_access",
        "https://graph.microsoft.com/Calendars.ReadWrite",
        "https://graph.microsoft.com/User.Read",
    ),
}

# Google hands out a refresh token only for offline access, and again on a second consent only when asked
# to prompt; Microsoft wants `offline_access` among the scopes instead (see `OAuthClient.scope`).
AUTHORIZE_EXTRAS: dict[str, dict[str, str]] = {
    "google": {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
    "microsoft": {"response_mode": "query"},
}

REFRESH_MARGIN = timedelta(seconds=60)  # refresh this long before expiry: a call must not start on a dying token


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime  # aware, UTC
    scope: str = ""

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        return self.expires_at - now <= margin

    def to_dict(self) -> dict[str, str]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.astimezone(UTC).isoformat(),
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tokens:
        expires_at = datetime.fromisoformat(str(data["expires_at"]))
        if expires_at.tzinfo is None:
            raise ValueError("stored token expiry has no time zone")
        scope = str(data.get("scope") or "")
        return cls(str(data["access_token"]), str(data["refresh_token"]), expires_at.astimezone(UTC), scope)


@dataclass(frozen=True)
class OAuthClient:
    """This application as an OAuth client of one provider (the authorization code grant)."""

    provider: str  # "google" | "microsoft"
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    timeout: float = 10
    clock: Callable[[], datetime] = field(default=utc_now, compare=False)

    def scope(self) -> str:
        wanted = list(self.scopes)
        if self.provider == "microsoft" and "offline_access" not in wanted:
            wanted.insert(0, "offline_access")  # without it Microsoft issues no refresh token
        return " ".join(wanted)

    def authorization_url(self, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Where to send the host to consent; the provider comes back to `redirect_uri` with `code` and `state`.
        `code_challenge` is the S256 challenge of the verifier the code exchange will show (providers.pkce)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": self.scope(),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": pkce.METHOD,
            **AUTHORIZE_EXTRAS.get(self.provider, {}),
        }
        joiner = "&" if urlsplit(self.authorize_url).query else "?"
        return f"{self.authorize_url}{joiner}{urlencode(params, quote_via=quote)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> Tokens:
        """The tokens for the code the provider returned after consent (usable once), shown with the
        PKCE verifier whose challenge the consent link carried."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._grant({**form, "code_verifier": code_verifier})

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token. Google keeps the refresh token; Microsoft may hand out a new one."""
        return self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token}, keep=refresh_token)

    def _grant(self, form: dict[str, str], keep: str = "") -> Tokens:
        data = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        if self.provider == "microsoft":
            data["scope"] = self.scope()
        started = self.clock()
        try:
            response = requests.post(  # never redirected: a 307 or 308 would send the client secret on
                self.token_url,
                data=data,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as e:
            raise Unavailable(f"{self.provider} token endpoint: {e}") from e
        body = json_object(response.content)
        if response.status_code != 200:
            raise self._error(response, body)
        access_token, refresh_token = body.get("access_token"), body.get("refresh_token") or keep
        if not isinstance(access_token, str) or not access_token:
            raise Unavailable(f"{self.provider} token endpoint answered 200 without an access token", status=200)
        if not refresh_token:
            raise Rejected(f"{self.provider} issued no refresh token: offline access was not granted", status=200)
        expires_in = float(body.get("expires_in") or 3600)
        scope = str(body.get("scope") or self.scope())
        return Tokens(access_token, str(refresh_token), started + timedelta(seconds=expires_in), scope)

    def _error(self, response: requests.Response, body: dict[str, Any]) -> ProviderError:
        status, error = response.status_code, str(body.get("error") or "")
        message = f"{self.provider} token endpoint answered {status} {error}: {body.get('error_description', '')}"
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if error in ("invalid_grant", "interaction_required") and status < 500:
            return AuthRevoked(message, status=status)
        if error == "temporarily_unavailable" and status < 500 and status != 429:
            return Unavailable(message, retry_after, status)
        if status == 401:  # invalid_client: our own client id or secret, not the host's grant
            return Rejected(message, status=status)
        return error_for_status(status, message, retry_after)


def configured(provider: str) -> bool:
    """Whether hosts can connect this provider: its client id is set."""
    return bool(settings.SLOTWISE_OAUTH.get(provider, {}).get("client_id"))


def client_for(provider: str) -> OAuthClient:
    if not configured(provider):
        raise Rejected(f"{provider} is not configured (set SLOTWISE_{provider.upper()}_CLIENT_ID)")
    found = settings.SLOTWISE_OAUTH[provider]
    return OAuthClient(
        provider=provider,
        client_id=found["client_id"],
        client_secret=found["client_secret"],
        authorize_url=found["authorize_url"],
        token_url=found["token_url"],
        scopes=SCOPES[provider],
        timeout=settings.SLOTWISE_PROVIDER_HTTP_TIMEOUT,
    )


def api_url_for(provider: str) -> str:
    """The provider's API root, without a trailing slash (Calendar v3, Graph v1.0)."""
    return str(settings.SLOTWISE_OAUTH[provider]["api_url"]).rstrip("/")


class TokenSession:
    """Authorized HTTP calls for one connected calendar account.

    The access token is refreshed shortly before it expires, and once more when the API still
    answers 401 (revoked early, clock skew); the call is then made once again. `on_refresh`
    gets every new Tokens, so the caller can store them sealed before they are needed again."""

    def __init__(
        self,
        client: OAuthClient,
        tokens: Tokens,
        on_refresh: Callable[[Tokens], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.on_refresh = on_refresh
        self.clock = clock
        self._lock = threading.Lock()
        self._local = threading.local()

    def request(
        self, method: str, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        """The answer, whatever its status, except 401: refreshed once, then AuthExpired."""
        used = self._fresh()
        response = self._send(method, url, used, json, headers)
        if response.status_code != 401:
            return response
        response = self._send(method, url, self._refreshed_after(used), json, headers)
        if response.status_code == 401:
            raise AuthExpired(f"{method} {url}: the access token was refused again after a refresh", status=401)
        return response

    def _fresh(self) -> Tokens:
        with self._lock:
            if self.tokens.expires_within(REFRESH_MARGIN, self.clock()):
                self._refresh()
            return self.tokens

    def _refreshed_after(self, refused: Tokens) -> Tokens:
        with self._lock:
            if self.tokens.access_token == refused.access_token:  # another thread may have refreshed already
                self._refresh()
            return self.tokens

    def _refresh(self) -> None:
        self.tokens = self.client.refresh(self.tokens.refresh_token)
        if self.on_refresh is not None:
            self.on_refresh(self.tokens)

    def _send(
        self, method: str, url: str, tokens: Tokens, json: Any, headers: Mapping[str, str] | None
    ) -> requests.Response:
        sent = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json", **(headers or {})}
        try:
            return self._http().request(method, url, json=json, headers=sent, timeout=self.client.timeout)
        except requests.RequestException as e:  # refused, reset, timed out: the provider may come back
            raise Unavailable(f"{method} {url}: {e}") from e

    def _http(self) -> requests.Session:
        """One connection pool per thread: requests does not promise a shared Session is thread-safe."""
        http: requests.Session | None = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = requests.Session()
        return http
