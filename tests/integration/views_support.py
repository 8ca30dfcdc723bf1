"""Helpers for the read-side tests: snapshots of views and fresh starts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from django.db import models
from hypothesis import strategies as st

from booking.application import Slotwise
from booking.domain.errors import DomainError
from booking.domain.schedule import WEEKDAYS, Schedule
from projections.elastic.client import alias
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


ATTENDEE = {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC"}


class Scene:
    """An organisation with a host open around the clock and event types on a 30-minute grid."""

    FIRST = datetime(2026, 2, 2, tzinfo=UTC)

    def __init__(
        self, app: Slotwise, zone: str = "Europe/Berlin", event_types: int = 2, first: datetime = FIRST
    ) -> None:
        """`first`: the start of slot 0. Reminders are planned only when the event's own (real)
        time is before they are due, so a scene whose reminders matter starts after today."""
        self.app, self.first = app, first
        self.org = app.register_organisation(f"org-{uuid4().hex[:10]}")
        self.host = app.register_host(self.org, "Ada", "ada@example.com", zone).subject.id
        always = {d: [{"start": "00:00", "end": "24:00"}] for d in WEEKDAYS}
        app.change_schedule(self.org, self.host, Schedule.parse(always, []))
        self.event_types = [
            app.create_event_type(
                self.org,
                self.host,
                {"slug": f"t{i}", "title": f"Type {i}", "length_in_minutes": 30, "booking_window_days": 730},
            ).subject.id
            for i in range(event_types)
        ]
        self.bookings: list[UUID] = []

    def start(self, n: int) -> datetime:
        return self.first + timedelta(minutes=30 * n)

    def play(self, steps: list[tuple[str, int, int]], flow: Callable[[int], None]) -> None:
        """Runs random commands; refused ones write nothing, and the views must agree on that."""
        for action, a, b in steps:
            try:
                if action == "book":
                    made = self.app.book_slot(self.event_types[a % len(self.event_types)], self.start(b), ATTENDEE)
                    self.bookings.append(made.subject.id)
                elif action == "move" and self.bookings:
                    self.app.reschedule_booking(self.bookings[a % len(self.bookings)], self.start(b))
                elif action == "cancel" and self.bookings:
                    self.app.cancel_booking(self.bookings[a % len(self.bookings)], "x")
                elif action == "retitle":
                    self.app.update_event_type(
                        self.org, self.event_types[a % len(self.event_types)], {"title": f"Title {b}"}
                    )
                elif action == "flow":
                    flow(a)
            except DomainError:
                pass


commands = st.lists(
    st.one_of(
        st.tuples(st.just("book"), st.integers(0, 1), st.integers(0, 200)),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 200)),
        st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("retitle"), st.integers(0, 1), st.integers(0, 9)),
        st.tuples(st.just("flow"), st.integers(0, 7), st.just(0)),
    ),
    min_size=5,
    max_size=30,
)


def documents(es: Any) -> list[tuple[str, Any]]:
    """Every document of every view in Elasticsearch, by id."""
    found_all = []
    for name in VIEWS:
        es.indices.refresh(index=alias(name))
        found = es.search(index=alias(name), size=10_000, query={"match_all": {}}, sort=[{"_id": "asc"}])
        found_all += [(hit["_id"], hit["_source"]) for hit in found["hits"]["hits"]]
    return found_all
