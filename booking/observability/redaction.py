"""Attendees' personal data kept out of the logs: what a log line may show of an email or a name.

Exception texts carry them (an `SMTPRecipientsRefused` lists the refused addresses; Celery's
"Task ... raised" line repeats the exception), so every string of every line is masked, not only
the fields we chose. What stays is enough to tell lines apart: the first character and the
email's domain (`b***@example.com`).
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@((?:[\w-]+\.)+[A-Za-z]{2,})", re.UNICODE)
# a name written out by a repr, str() or JSON: attendee_name='Bo', "attendeeName": "Bo", and the
# name of an attendee mapping: 'attendee': {'name': 'Bo', ...}
_NAMED = re.compile(
    r"""(?P<key>(?:attendee_?name|attendeeName|host_?name|hostName)['"]?\s*[:=]\s*"""
    r"""|attendee['"]?\s*[:=]\s*\{[^{}]*?['"]name['"]\s*:\s*)(?P<quote>['"])(?P<value>[^'"]*)(?P=quote)""",
    re.IGNORECASE,
)
# fields of our own structured log calls whose whole value is a person's name
NAME_FIELDS = frozenset({"attendeeName", "attendee_name", "hostName", "host_name"})


def _masked(text: str) -> str:
    return f"{text[:1]}{MASK}" if text else text


def redact_text(text: str) -> str:
    """The text with every email address and every attendee or host name in it masked."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}{MASK}@{m.group(2)}", text)
    return _NAMED.sub(lambda m: f"{m['key']}{m['quote']}{_masked(m['value'])}{m['quote']}", text)


def redact(value: Any, key: str | None = None) -> Any:
    """A JSON-ready copy of a log field with personal data masked (strings, mappings, sequences)."""
    if isinstance(value, dict):
        if key == "attendee" and isinstance(value.get("name"), str):
            value = {**value, "name": _masked(value["name"])}
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if key in NAME_FIELDS and isinstance(value, str):
        return _masked(value)
    return redact_text(value if isinstance(value, str) else str(value))
