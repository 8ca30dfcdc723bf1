"""A Content-Security-Policy on every HTML page we serve (today: the API docs at /api/v1/docs).

Django's SecurityMiddleware and XFrameOptionsMiddleware set the other security headers; Django
5.2 has no CSP of its own. The policy fits the docs page: Swagger UI's script and style files
are served from here (WhiteNoise), its settings ride in a non-executable JSON <script>, it
fetches only /api/v1/openapi.json, and its icons are data: URIs. Nothing inline runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.SLOTWISE_CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response
