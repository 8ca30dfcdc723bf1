"""Liveness (the process answers) and readiness (both stores answer)."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse

from booking.bootstrap import get_app
from booking.rest.problems import problem


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps({"status": "ok"}), content_type="application/json")


def readyz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        position = get_app().recorder.max_notification_id() or 0
    except Exception as exc:  # any failure to reach a store means "not ready"
        return problem("not_ready", f"a store is unreachable: {type(exc).__name__}", headers={"Retry-After": "5"})
    return HttpResponse(json.dumps({"status": "ready", "position": position}), content_type="application/json")
