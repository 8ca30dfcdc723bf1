"""Refuses oversize bodies with 413, and bodies of unknown length with 411, before any view
parses them.

A `Transfer-Encoding: chunked` request carries no Content-Length, and under WSGI Django then
reads its body as empty: the request would run as if nothing had been sent. So a request
that declares a transfer coding and no Content-Length is refused with 411 Length Required.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from booking.graphql.view import RequestError
from booking.rest.problems import PROBLEMS, problem


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit: int = settings.SLOTWISE_MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
            return self._refused(request, "length_required", "send the body with a Content-Length, not chunked")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > self.limit:
            return self._too_large(request)
        try:
            request.body  # noqa: B018 - reads (bounded) now, so an oversize body is refused before any view
        except RequestDataTooBig:
            return self._too_large(request)
        return self.get_response(request)

    def _too_large(self, request: HttpRequest) -> HttpResponse:
        return self._refused(request, "payload_too_large", f"request bodies are limited to {self.limit // 1024} KB")

    @staticmethod
    def _refused(request: HttpRequest, code: str, detail: str) -> HttpResponse:
        status = PROBLEMS[code][0]
        if request.path == "/graphql":  # answered the GraphQL way, as the endpoint's own refusals are
            body = {"errors": [RequestError(code, detail, status, document_level=False).formatted()]}
            return HttpResponse(json.dumps(body), status=status, content_type="application/json")
        return problem(code, detail)
