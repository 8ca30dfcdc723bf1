"""The agenda's `q` search means "contains this text", on both read stores.

The Elasticsearch side runs against osmem-server, an in-memory emulator of the OpenSearch /
Elasticsearch REST API (see docs/elasticsearch.md), not against Elasticsearch itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from booking.application import Slotwise
from projections import selectors
from projections.elastic import selectors as es_selectors
from projections.elastic.applier import EsApplier
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.views_support import Scene

NAMES = ["Star * Gazer", "Bob", "Bo", "b?x club", "Back\\slash", "Quinn"]


@pytest.fixture
def booked(app: Slotwise, es: Any) -> Scene:
    """One booking per attendee name, projected into both stores."""
    scene = Scene(app)
    for n, name in enumerate(NAMES):
        who = {"name": name, "email": f"guest{n}@example.com", "timeZone": "UTC"}
        app.book_slot(scene.event_types[0], scene.start(n), who)
    for view in VIEWS.values():
        Projector(view, LogSource(app)).catch_up()
        Projector(view, LogSource(app), applier=EsApplier(view=view, es=es)).catch_up()
    return scene


def _found(store: Any, scene: Scene, q: str) -> set[str]:
    """The attendee names of the entries a store finds for q (SQL when store is None)."""
    if store is None:
        page, _ = selectors.agenda_for(scene.org, q=q, limit=200)
    else:
        page, _ = es_selectors.agenda_for(store, scene.org, q=q, limit=200)
    return {entry.attendee_name for entry in page}


@pytest.mark.parametrize(
    ("q", "matches"),
    [
        ("*", ["Star * Gazer"]),
        ("b?", ["b?x club"]),
        ("?", ["b?x club"]),
        ("\\", ["Back\\slash"]),
        ("*\\*", []),
        ("bo", ["Bob", "Bo"]),
        ("%", []),  # nor do SQL LIKE's own wildcards
        ("_", []),
    ],
)
def test_search_text_with_wildcard_characters_matches_only_itself(
    booked: Scene, es: Any, q: str, matches: list[str]
) -> None:
    # given bookings whose attendee names hold wildcard characters, and some that do not
    wanted = set(matches)

    # when each store is asked for entries containing q
    found = {"sql": _found(None, booked, q), "es": _found(es, booked, q)}

    # then both find exactly the literal matches
    assert found == {"sql": wanted, "es": wanted}
