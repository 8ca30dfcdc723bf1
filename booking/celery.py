"""The Celery app: workers run `celery -A booking.celery worker -Q providers,notifications,webhooks`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booking.settings")

app = Celery("slotwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["providers"])
