"""Event store set-up: eventsourcing's own PostgreSQL (psycopg 3) or SQLite module.

Django-free, so the application and its tests can build a store from a URL alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


def postgres_env(*, dbname: str, host: str, port: str, user: str, password: str, create_table: bool) -> dict[str, str]:
    """Store settings for PostgreSQL; the insert-order table lock stays on (no DB functions).

    The pool opens connections as threads need them, up to SLOTWISE_STORE_POOL_MAX (3);
    a thread waits for one for at most POSTGRES_CONNECT_TIMEOUT seconds."""
    pool_max = int(os.environ.get("SLOTWISE_STORE_POOL_MAX", "3"))
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "0",
        "POSTGRES_MAX_OVERFLOW": str(max(pool_max, 1)),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def sqlite_env(path: Path, *, create_table: bool) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "10",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def position_of(recorder: ApplicationRecorder, aggregate_id: UUID, version: int) -> int:
    """The notification id (log position) of one stored event."""
    row: Any
    if isinstance(recorder, PostgresApplicationRecorder):
        # identifiers quoted as eventsourcing quotes them when it creates the table
        query = SQL("SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (aggregate_id, version))
            row = curs.fetchone()
        return int(row["notification_id"])
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = f"SELECT rowid FROM {recorder.events_table_name} WHERE originator_id = ? AND originator_version = ?"  # noqa: S608  # nosec B608  # - the store's own table name; values are bound parameters
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(sql, (aggregate_id.hex, version))
            row = curs.fetchone()
        return int(row[0])
    raise TypeError(f"unsupported recorder {type(recorder).__name__}")


def event_count(recorder: ApplicationRecorder) -> int:
    """How many events the store holds (used by tests and ops to prove nothing was written)."""
    table = recorder.events_table_name  # type: ignore[attr-defined]
    if isinstance(recorder, PostgresApplicationRecorder):
        table = f"{recorder.datastore.schema}.{table}"
    with recorder.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
        curs.execute(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608  # nosec B608  # - the store's own table name, no input at all
        row = curs.fetchone()
    return int(row["n"] if isinstance(recorder, PostgresApplicationRecorder) else row[0])
