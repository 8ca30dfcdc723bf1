"""Core Django settings."""

import os
import secrets

from booking.settings.paths import kept_secret

SECRET_KEY = kept_secret("SLOTWISE_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(48))
DEBUG = os.environ.get("SLOTWISE_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("SLOTWISE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "graphene_django",
    "booking.apps.BookingConfig",
    "projections.apps.ProjectionsConfig",
    "providers.apps.ProvidersConfig",
]

MIDDLEWARE = [
    "booking.observability.requests.RequestLogMiddleware",
    "booking.rest.problems.ProblemFallbackMiddleware",
    "booking.rest.limits.BodySizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "booking.urls"
WSGI_APPLICATION = "booking.wsgi.application"
TEMPLATES: list[dict[str, object]] = []

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
APPEND_SLASH = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies above this are refused with 413 before they are read.
SLOTWISE_MAX_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = SLOTWISE_MAX_BODY_BYTES
