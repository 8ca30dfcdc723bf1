"""Core Django settings."""

import os
import secrets

from booking.settings.paths import kept_secret

SECRET_KEY = kept_secret("SLOTWISE_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(48))
DEBUG = os.environ.get("SLOTWISE_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("SLOTWISE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: the self-hosted API docs at /api/v1/docs
    "graphene_django",
    "booking.apps.BookingConfig",
    "projections.apps.ProjectionsConfig",
    "providers.apps.ProvidersConfig",
]

MIDDLEWARE = [
    "booking.observability.requests.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "booking.rest.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "booking.rest.problems.ProblemFallbackMiddleware",
    "booking.rest.limits.BodySizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "booking.urls"
WSGI_APPLICATION = "booking.wsgi.application"
TEMPLATES: list[dict[str, object]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

# Static files (Swagger UI) are served by WhiteNoise straight from the installed packages: no
# collectstatic, nothing written at run time (the Helm image's root filesystem is read-only).
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

# Security headers (Django's SecurityMiddleware and XFrameOptionsMiddleware; CSP is ours).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS is sent only on requests Django knows to be secure: behind a TLS-terminating proxy, name
# the header it sets, e.g. SLOTWISE_PROXY_SSL_HEADER="X-Forwarded-Proto: https". Only set it
# when the proxy always overwrites that header: a client could send it otherwise.
_proxy_ssl_header = os.environ.get("SLOTWISE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = None
if _proxy_ssl_header:
    _name, _, _value = _proxy_ssl_header.partition(":")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
SECURE_HSTS_SECONDS = int(os.environ.get("SLOTWISE_HSTS_SECONDS", str(365 * 24 * 3600)))
SLOTWISE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies above this are refused with 413 before they are read.
SLOTWISE_MAX_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = SLOTWISE_MAX_BODY_BYTES
# Arrays and objects inside each other in a JSON body (REST and GraphQL, and GraphQL's GET
# `variables` / `extensions`), measured before parsing: the parser recurses once per level.
SLOTWISE_MAX_JSON_DEPTH = int(os.environ.get("SLOTWISE_MAX_JSON_DEPTH", "32"))
