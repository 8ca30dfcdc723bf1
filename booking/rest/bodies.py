"""How REST reads a JSON request body: declared as JSON, UTF-8, and nested only so deep.

Ninja hands every body to `JsonBodyParser.parse_body` and turns whatever it raises into a
400 `HttpError` caused by it; `booking.rest.api` renders that cause (`BodyRefused`) as the
problem it names. Bodies over the size limit never get here (`booking.rest.limits`).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

JSON = "application/json"
MAX_DEPTH = 20  # our deepest body (a schedule) nests 4 levels


class BodyRefused(Exception):
    """A body we will not parse: `code` is a key of `booking.rest.problems.PROBLEMS`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def media_problem(request: HttpRequest) -> str | None:
    """Why the body's declared media type is not JSON in UTF-8, or None when it is."""
    if request.content_type != JSON:
        return f"send the body as {JSON} (Content-Type: {JSON}), not {request.content_type or 'nothing'}"
    charset = request.content_params.get("charset", "utf-8")
    if charset.lower() not in ("utf-8", "utf8"):
        return f"send the body in UTF-8 ({JSON}; charset=utf-8), not {charset}"
    return None


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` in `value`, walked without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > limit:
            return True
        pending.extend((child, level + 1) for child in children)
    return False


def json_body(request: HttpRequest) -> Any:
    """The body as JSON, or BodyRefused: 415 for another media type, 400 for anything else."""
    if problem := media_problem(request):
        raise BodyRefused("unsupported_media_type", problem)
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused("malformed_json", "the body is not UTF-8") from None
    too_deep_detail = f"the body nests arrays and objects deeper than {MAX_DEPTH} levels"
    try:
        data = json.loads(text)
    except RecursionError:  # the decoder's own guard, far deeper than MAX_DEPTH
        raise BodyRefused("malformed_json", too_deep_detail) from None
    except json.JSONDecodeError as error:
        detail = f"the body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise BodyRefused("malformed_json", detail) from None
    except ValueError:  # the decoder's limit on the digits of an integer
        raise BodyRefused("malformed_json", "the body holds a number with too many digits") from None
    if too_deep(data):
        raise BodyRefused("malformed_json", too_deep_detail)
    return data


class JsonBodyParser(Parser):
    """Ninja's parser with our rules for bodies (query strings are parsed as ninja does)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body(request)
