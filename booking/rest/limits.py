"""Refuses oversize bodies with 413 before any view parses them."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from booking.rest.problems import problem


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.SLOTWISE_MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self.limit:
            return self._too_large(request)
        try:
            request.body  # noqa: B018 - reads (bounded) now, so a chunked oversize body is caught here
        except RequestDataTooBig:
            return self._too_large(request)
        return self.get_response(request)

    def _too_large(self, request: HttpRequest) -> HttpResponse:
        detail = f"request bodies are limited to {self.limit // 1024} KB"
        if request.path == "/graphql":  # answered the GraphQL way, with a code
            body = {"errors": [{"message": detail, "extensions": {"code": "payload_too_large"}}]}
            return HttpResponse(json.dumps(body), status=413, content_type="application/json")
        return problem("payload_too_large", detail)
