"""The Celery app: workers run `celery -A booking.celery worker -Q providers,notifications,webhooks`."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

from booking.observability.logging import keep_django_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booking.settings")

# Celery's own log handlers would bypass the JSON formatter that masks personal data
setup_logging.connect(keep_django_logging, weak=False)

app = Celery("slotwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["providers"])
