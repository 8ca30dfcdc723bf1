"""Calendar providers over HTTP: OAuth clients and API endpoints (Google, Microsoft).

A provider is offered to hosts only when its client id is set. The URLs default to the
providers' public endpoints; tests and drills point them at local contract servers.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# the one origin parser: what start-up lets through is what a returnTo is matched against
from providers.return_to import origin_of as _origin_of


def _provider(name: str, authorize_url: str, token_endpoint: str, api_url: str) -> dict[str, str]:
    """One provider's endpoints and client, each overridable from SLOTWISE_<PROVIDER>_<NAME>."""
    prefix = f"SLOTWISE_{name.upper()}_"
    return {
        "client_id": os.environ.get(f"{prefix}CLIENT_ID", ""),
        "client_secret": os.environ.get(f"{prefix}CLIENT_SECRET", ""),
        "authorize_url": os.environ.get(f"{prefix}AUTHORIZE_URL", authorize_url),
        "token_url": os.environ.get(f"{prefix}TOKEN_URL", token_endpoint),
        "api_url": os.environ.get(f"{prefix}API_URL", api_url).rstrip("/"),
    }


SLOTWISE_OAUTH = {
    "google": _provider(
        "google",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/calendar/v3",
    ),
    "microsoft": _provider(
        "microsoft",
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "https://graph.microsoft.com/v1.0",
    ),
}

# Seconds for one HTTP call (connect and read) to a provider's token or API endpoint.
SLOTWISE_PROVIDER_HTTP_TIMEOUT = float(os.environ.get("SLOTWISE_PROVIDER_HTTP_TIMEOUT", "10"))

# Where this API is reached from outside: OAuth providers send hosts back to
# <SLOTWISE_PUBLIC_URL>/api/v1/calendars/oauth/callback, which must be registered with each provider.
SLOTWISE_PUBLIC_URL = os.environ.get("SLOTWISE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def return_origins(configured: str, public_url: str) -> tuple[str, ...]:
    """The origins (scheme://host[:port]) a connected host's browser may be sent back to: the
    comma-separated list given, else the origin of the public URL. Anything more than an origin
    (a path, a query, userinfo) is a mistake in the setting, refused at start-up."""
    given = tuple(origin.strip().removesuffix("/") for origin in configured.split(",") if origin.strip())
    if not given:
        public = urlsplit(public_url)
        given = (f"{public.scheme}://{public.netloc}",)
    for origin in given:
        if not _is_origin(origin):
            raise ImproperlyConfigured(
                f"SLOTWISE_OAUTH_RETURN_ORIGINS: {origin!r} is not an origin (scheme://host[:port])"
            )
    return given


def _is_origin(origin: str) -> bool:
    """An origin as `returnTo` is compared with (`origin_of`), written as nothing more: no path,
    query or fragment, the scheme in lower case."""
    parts = urlsplit(origin)
    return _origin_of(origin) is not None and origin == f"{parts.scheme}://{parts.netloc}"


# Where `returnTo` at .../calendars/{provider}/connect may point: only these origins, compared exactly.
SLOTWISE_OAUTH_RETURN_ORIGINS = return_origins(os.environ.get("SLOTWISE_OAUTH_RETURN_ORIGINS", ""), SLOTWISE_PUBLIC_URL)
