"""Token rotations and revocations, for random command sequences on both stores:

- replay equals live for every view (SQL and Elasticsearch), with revocations among the events;
- exactly one cancel token opens a booking: the one of its current generation.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from booking import bookings
from booking.application import Slotwise
from booking.auth import cancel_token
from booking.domain.errors import NotFound
from projections.elastic.applier import EsApplier
from projections.elastic.client import create_index, switch_alias
from projections.elastic.replay import replay_es
from projections.projector import Projector
from projections.replay import replay
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.views_support import Scene, commands, documents, snapshots, start_afresh

revocations = st.lists(st.tuples(st.just("revoke"), st.integers(0, 30), st.just(0)), min_size=1, max_size=2)
# the read-side commands (book, move, cancel, retitle, flow), then more of them with revocations in between
steps = st.tuples(commands, st.lists(st.one_of(revocations, commands, revocations), min_size=1, max_size=4)).map(
    lambda parts: parts[0] + [step for part in parts[1] for step in part]
)
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _play(app: Slotwise, scene: Scene, plan: list[tuple[str, int, int]], flow: Any) -> None:
    revoked = 0
    for action, a, b in plan:
        if action != "revoke":
            scene.play([(action, a, b)], flow)
        elif scene.bookings:
            app.revoke_cancel_token(scene.bookings[a % len(scene.bookings)])
            revoked += 1
    event(f"tokens revoked: {min(revoked, 3)}{'+' if revoked >= 3 else ''}")


def _only_the_current_token_opens(app: Slotwise, scene: Scene) -> None:
    for uid in scene.bookings:
        current = app.booking(uid).token_generation
        access = bookings.authorised(bookings.Caller(cancel_token=cancel_token(uid, current)), uid)
        assert access.token_generation == current
        for earlier in range(current):
            with pytest.raises(NotFound):
                bookings.authorised(bookings.Caller(cancel_token=cancel_token(uid, earlier)), uid)


@SETTINGS
@given(plan=steps)
def test_live_views_equal_replayed_views_with_tokens_rotating(app: Slotwise, plan: list[tuple[str, int, int]]) -> None:
    # given views projected live while bookings are made, moved, cancelled and their tokens revoked
    start_afresh(app)
    scene = Scene(app)
    live = [Projector(view, LogSource(app), batch_size=3) for view in VIEWS.values()]

    def flow(n: int) -> None:
        for projector in live:
            for _ in range(n):
                projector.step()

    _play(app, scene, plan, flow)
    for projector in live:
        projector.catch_up()
    built_live = snapshots()
    # when every view is rebuilt from the event store
    for view in VIEWS.values():
        replay(view, LogSource(app))
    # then the rebuilt views are the live ones, and only each booking's current token opens it
    assert snapshots() == built_live
    _only_the_current_token_opens(app, scene)


@SETTINGS
@given(plan=steps)
def test_elasticsearch_live_equals_replay_with_tokens_rotating(
    app: Slotwise, es: Any, plan: list[tuple[str, int, int]]
) -> None:
    # given the Elasticsearch views projected live over the same kind of history
    start_afresh(app)
    for name in VIEWS:  # empty indices too: this example's log is all there is
        for retired in switch_alias(es, name, create_index(es, name)):
            es.indices.delete(index=retired)
    scene = Scene(app)
    live = [
        Projector(view, LogSource(app), batch_size=4, applier=EsApplier(view=view, es=es)) for view in VIEWS.values()
    ]

    def flow(n: int) -> None:
        for projector in live:
            for _ in range(n):
                projector.step()

    _play(app, scene, plan, flow)
    for projector in live:
        projector.catch_up()
    built_live = documents(es)
    # when they are rebuilt from the event store
    for view in VIEWS.values():
        replay_es(view, LogSource(app), es, batch_size=5)
    # then the documents are the live ones
    assert documents(es) == built_live
