"""Attendees' emails and names never reach a log line: real records through the configured handler."""

from __future__ import annotations

import io
import json
import logging
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.utils.log import get_task_logger

from booking.celery import app as slotwise_celery
from booking.observability.logging import JsonFormatter
from booking.observability.redaction import redact_text

EMAIL = "bo.smith@example.com"
REFUSED = smtplib.SMTPRecipientsRefused({EMAIL: (550, f"5.1.1 <{EMAIL}>: Recipient address rejected".encode())})


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the handler Django's LOGGING configured on the root logger writes, for this test."""
    root = logging.getLogger()
    (handler,) = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    before, level = handler.setStream(buffer), root.level
    yield buffer
    handler.setStream(before)
    root.setLevel(level)


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_our_side_effect_error_line_masks_the_refused_recipient_and_the_attendee(written: io.StringIO) -> None:
    # given a failing email side effect, logged with its error, attendee and traceback
    try:
        raise REFUSED
    except smtplib.SMTPRecipientsRefused:
        logging.getLogger("slotwise.effects").exception(
            "side effect failed",
            extra={
                "error": repr(REFUSED),
                "attendee": {"name": "Bo Smith", "email": EMAIL},
                "attendeeName": "Bo Smith",
            },
        )

    # when the line is written
    (line,) = _lines(written)

    # then neither the address nor the name is in it, and enough is left to debug
    assert EMAIL not in written.getvalue() and "Bo Smith" not in written.getvalue()
    assert "b***@example.com" in line["error"] and "SMTPRecipientsRefused" in line["error"]
    assert line["attendee"] == {"name": "B***", "email": "b***@example.com"}
    assert line["attendeeName"] == "B***"
    assert "b***@example.com" in line["exception"] and "Traceback" in line["exception"]


def test_celerys_own_task_failure_line_is_masked(written: io.StringIO) -> None:
    # given a Celery task that fails the way the email task does
    celery = Celery("redaction-test", set_as_current=False)

    @celery.task(name="slotwise.test.refuse")
    def refuse() -> None:
        raise REFUSED

    # when Celery runs it and reports the failure in its own words
    refuse.apply()

    # then its "Task ... raised" line came through our handler with the address masked
    failures = [line for line in _lines(written) if "raised unexpected" in line["message"]]
    assert len(failures) == 1
    assert "b***@example.com" in failures[0]["message"]
    assert EMAIL not in written.getvalue()


def test_celery_worker_logging_keeps_lines_on_our_masking_handler(written: io.StringIO) -> None:
    # given the logging set-up a Celery worker runs as it starts (`celery -A booking.celery worker`)
    slotwise_celery.log.setup_logging_subsystem(loglevel="WARNING")

    # when a task logger (which Celery would give a plain handler of its own) logs an address
    get_task_logger("providers.tasks").warning("could not reach %s", EMAIL)

    # then the line reached our handler, masked
    assert [line["message"] for line in _lines(written)] == ["could not reach b***@example.com"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("to bo@example.com", "to b***@example.com"),
        ("<bo.smith+tag@mail.example.co.uk>", "<b***@mail.example.co.uk>"),
        ("attendee_name='Bo Smith'", "attendee_name='B***'"),
        ('{"attendeeName": "Bo Smith"}', '{"attendeeName": "B***"}'),
        ("{'attendee': {'email': 'x', 'name': 'Bo Smith'}}", "{'attendee': {'email': 'x', 'name': 'B***'}}"),
        ("Task slotwise.notifications.send_email[5] retry", "Task slotwise.notifications.send_email[5] retry"),
    ],
)
def test_masking_keeps_a_first_character_and_the_domain(text: str, shown: str) -> None:
    assert redact_text(text) == shown
