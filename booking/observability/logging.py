"""A JSON log formatter that carries the current request id on every line and masks attendees'
personal data (booking.observability.redaction) in every field, for every logger that reaches it."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from booking.observability.redaction import redact

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            line["requestId"] = rid
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(redact(line))


def keep_django_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """Celery's `setup_logging` receiver: with one connected, Celery adds no handlers of its own
    (its task loggers' and pool's would print exception texts unmasked), so Django's LOGGING is
    the only configuration and every Celery line goes through JsonFormatter. The worker's `-l`
    still sets the level, as Celery did."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)
