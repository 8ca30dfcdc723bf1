"""How both APIs read JSON from a request: declared as JSON, in UTF-8, nested only so deep, valid.

REST (ninja's parser, `booking.rest.bodies`) and GraphQL (`booking.graphql.view`, its POST body and
its GET `variables` / `extensions`) refuse the same text the same way: `BodyRefused` names a code
(415 `unsupported_media_type`; 400 `json_too_deep` or `malformed_json`) that each API renders in
its own error shape. Nesting is measured on the text, in one linear pass, before `json.loads`,
which recurses once per level (and graphql-core's coercion after it). Bodies over the size limit
never get here (`booking.rest.limits`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest

JSON = "application/json"
_TOKENS = re.compile(r'[\\"\[\]{}]')  # the only characters that change the nesting or the string state


class BodyRefused(Exception):
    """JSON we will not parse: `code` is one of the codes above, `status` its HTTP status."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail
        self.status = 415 if code == "unsupported_media_type" else 400


def media_problem(request: HttpRequest) -> str | None:
    """Why the body's declared media type is not JSON in UTF-8, or None when it is."""
    if request.content_type != JSON:
        return f"send the body as {JSON} (Content-Type: {JSON}), not {request.content_type or 'nothing'}"
    charset = request.content_params.get("charset", "utf-8")
    if charset.lower() not in ("utf-8", "utf8"):
        return f"send the body in UTF-8 ({JSON}; charset=utf-8), not {charset}"
    return None


def read(request: HttpRequest) -> Any:
    """The request's body as JSON, or BodyRefused."""
    if problem := media_problem(request):
        raise BodyRefused("unsupported_media_type", problem)
    try:
        text = request.body.decode("utf-8")  # strict: a bad byte is refused, never rewritten
    except UnicodeDecodeError:
        raise BodyRefused("malformed_json", "the body is not UTF-8") from None
    return parsed(text, "the body")


def parsed(text: str, what: str) -> Any:
    """`text` as JSON, or BodyRefused saying what is wrong with `what` (the body, a parameter)."""
    most = settings.SLOTWISE_MAX_JSON_DEPTH
    too_deep = BodyRefused("json_too_deep", f"{what} nests arrays and objects more than {most} deep")
    if deeper_than(text, most):
        raise too_deep
    try:
        return json.loads(text)
    except RecursionError:  # only under a limit set past the interpreter's own
        raise too_deep from None
    except json.JSONDecodeError as error:
        detail = f"{what} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise BodyRefused("malformed_json", detail) from None
    except ValueError:  # the decoder's limit on the digits of an integer
        raise BodyRefused("malformed_json", f"{what} holds a number with too many digits") from None


def deeper_than(text: str, most: int) -> bool:
    """True when the JSON text opens more than `most` arrays or objects inside each other."""
    depth = 0
    in_string = False
    escaped_at = -1
    for token in _TOKENS.finditer(text):
        at, char = token.start(), token.group()
        if at == escaped_at:  # the character after a backslash in a string
            continue
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > most:
                return True
        elif char in "]}":
            depth -= 1
    return False
