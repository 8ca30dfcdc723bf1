"""The GraphQL endpoint's guards, and the cache its automatic persisted queries live in."""

import os


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


GRAPHENE = {"SCHEMA": "booking.graphql.schema.schema"}

# Production switch: only queries registered with `manage.py graphql_register` are run.
SLOTWISE_GRAPHQL_PERSISTED_ONLY = _flag("SLOTWISE_GRAPHQL_PERSISTED_ONLY", "false")
# Off unless asked for (`make run` asks, for local exploration).
SLOTWISE_GRAPHQL_INTROSPECTION = _flag("SLOTWISE_GRAPHQL_INTROSPECTION", "false")
SLOTWISE_GRAPHQL_MAX_DEPTH = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_DEPTH", "10"))
SLOTWISE_GRAPHQL_MAX_ALIASES = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_ALIASES", "30"))
SLOTWISE_GRAPHQL_MAX_COST = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_COST", "5000"))
SLOTWISE_GRAPHQL_MAX_DOCUMENT_BYTES = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_DOCUMENT_BYTES", str(20 * 1024)))
# Checked right after parsing, before validation: fragments spreading fragments multiply a
# document's size with each level. The introspection query has 8 spreads and expands to ~230 fields.
SLOTWISE_GRAPHQL_MAX_FRAGMENT_SPREADS = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_FRAGMENT_SPREADS", "50"))
SLOTWISE_GRAPHQL_MAX_FIELDS = int(os.environ.get("SLOTWISE_GRAPHQL_MAX_FIELDS", "1000"))
# How long an automatically persisted query (not an allow-listed one) is remembered.
SLOTWISE_GRAPHQL_APQ_TTL = int(os.environ.get("SLOTWISE_GRAPHQL_APQ_TTL", str(24 * 3600)))

# Redis when SLOTWISE_REDIS_URL is set (shared by every worker); else this process's memory.
_redis = os.environ.get("SLOTWISE_REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "persisted-queries": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis,
            "KEY_PREFIX": os.environ.get("SLOTWISE_REDIS_PREFIX", "slotwise"),
            "TIMEOUT": SLOTWISE_GRAPHQL_APQ_TTL,
        }
        if _redis
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "persisted-queries",
            "TIMEOUT": SLOTWISE_GRAPHQL_APQ_TTL,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    ),
}
