"""The Django database and the event store: SQLite files under var/ by default, PostgreSQL
when DATABASE_URL is set. Both always live in the same kind of store."""

import os

import dj_database_url

from booking.settings.paths import VAR_DIR

DATABASE_URL = os.environ.get("DATABASE_URL", "")

# PostgreSQL connections are pooled per process (psycopg_pool, through Django's own pool support
# and the event store's): a process opens them as its threads need them, keeps them until they
# have been idle for 5 minutes, and holds at most SLOTWISE_DB_POOL_MAX of Django's and
# SLOTWISE_STORE_POOL_MAX of the store's (3 each; the latter is read in booking/eventstore.py).
# So the whole `make run` stack stays within about 25 connections however many threads serve
# requests (docs/deploy.md has the sum). A thread that finds its process's pool in use waits for
# a connection for up to SLOTWISE_DB_POOL_TIMEOUT seconds.
SLOTWISE_DB_POOL_MAX = int(os.environ.get("SLOTWISE_DB_POOL_MAX", "3"))
SLOTWISE_DB_POOL_TIMEOUT = float(os.environ.get("SLOTWISE_DB_POOL_TIMEOUT", "10"))

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 0,
        "max_size": SLOTWISE_DB_POOL_MAX,
        "timeout": SLOTWISE_DB_POOL_TIMEOUT,
        "max_idle": 300,
    }
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
