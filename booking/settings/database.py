"""The Django database and the event store: SQLite files under var/ by default, PostgreSQL
when DATABASE_URL is set. Both always live in the same kind of store."""

import os

import dj_database_url

from booking.settings.paths import VAR_DIR

DATABASE_URL = os.environ.get("DATABASE_URL", "")

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SLOTWISE_SQLITE_PATH", str(VAR_DIR / "slotwise.sqlite3")),
            # IMMEDIATE: a writer takes the lock when it begins, so concurrent writers queue on the
            # busy timeout instead of failing when a read transaction tries to become a write.
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
            # A file, not memory, so server processes started by tests share it.
            "TEST": {"NAME": str(VAR_DIR / "test-slotwise.sqlite3")},
        }
    }

# The embedded event store's file (ignored when DATABASE_URL points at PostgreSQL).
SLOTWISE_EVENT_STORE_PATH = os.environ.get("SLOTWISE_EVENT_STORE_PATH", str(VAR_DIR / "eventstore.sqlite3"))
