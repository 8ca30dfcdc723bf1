"""Helpers for the read-side tests: snapshots of views and fresh starts."""

from __future__ import annotations

from typing import Any

from django.db import models

from booking.application import Slotwise
from projections.models import DeadLetter, ProjectionPosition
from projections.views import VIEWS
from projections.views.base import View
from tests.support import wipe_event_store


def snapshot(view: View) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a view, in a stable order (generated keys left out)."""
    rows = {}
    for model in view.models:
        columns = [f.attname for f in model._meta.local_fields if not isinstance(f, models.AutoField)]
        rows[model.__name__] = sorted(model.objects.values_list(*columns), key=repr)
    return rows


def snapshots() -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    return {name: snapshot(view) for name, view in VIEWS.items()}


def start_afresh(app: Slotwise) -> None:
    wipe_event_store(app)
    for view in VIEWS.values():
        for model in view.models:
            model.objects.all().delete()
    ProjectionPosition.objects.all().delete()
    DeadLetter.objects.all().delete()
