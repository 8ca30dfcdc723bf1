"""REST reads request bodies by the rules both APIs share (`booking.json_body`).

Ninja hands every body to `JsonBodyParser.parse_body` and turns whatever it raises into a
400 `HttpError` caused by it; `booking.rest.api` renders that cause (`BodyRefused`) as the
problem it names.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from booking import json_body


class JsonBodyParser(Parser):
    """Ninja's parser with our rules for bodies (query strings are parsed as ninja does)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json_body.read(request)
