"""The Elasticsearch store (against an in-memory OpenSearch-API emulator, not Elasticsearch
itself: see docs/elasticsearch.md): the same views as the SQL store, answers equal to the SQL
store's for the same events, live equal to replay, redelivery harmless."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings

from booking.application import Slotwise
from projections import positions, selectors
from projections.elastic import selectors as es_selectors
from projections.elastic.applier import EsApplier
from projections.elastic.client import create_index, switch_alias
from projections.elastic.replay import replay_es
from projections.projector import Projector
from projections.sources import LogSource
from projections.views import VIEWS
from tests.integration.views_support import ATTENDEE, Scene, commands, documents, start_afresh


def _projectors(app: Slotwise, es: Any) -> list[Projector]:
    sql = [Projector(view, LogSource(app), batch_size=4) for view in VIEWS.values()]
    search = [
        Projector(view, LogSource(app), batch_size=4, applier=EsApplier(view=view, es=es)) for view in VIEWS.values()
    ]
    return sql + search


def _answers(es: Any, scene: Scene) -> dict[str, Any]:
    """The same questions put to both stores."""
    return {"sql": _ask(None, scene), "es": _ask(es, scene)}


def _ask(store: Any, scene: Scene) -> dict[str, Any]:
    def call(fn_sql: Any, fn_es: Any, *args: Any, **kwargs: Any) -> Any:
        return fn_sql(*args, **kwargs) if store is None else fn_es(store, *args, **kwargs)

    def entries(**filters: Any) -> list[tuple[Any, ...]]:
        page, _ = call(selectors.agenda_for, es_selectors.agenda_for, scene.org, limit=200, **filters)
        return [
            (
                e.uid,
                e.title,
                e.status,
                e.start,
                e.end,
                e.start_local,
                e.local_date,
                e.minutes,
                e.attendee_email,
                e.host_time_zone,
            )
            for e in page
        ]

    days = [date(2026, 2, 1) + timedelta(days=n) for n in range(8)]
    return {
        "all": entries(),
        "host": entries(host_id=scene.host),
        "cancelled": entries(status="cancelled"),
        "search": entries(q="title 3"),
        "range": entries(first=date(2026, 2, 3), last=date(2026, 2, 4)),
        "stats": {
            g: call(selectors.agenda_stats, es_selectors.agenda_stats, scene.org, g)
            for g in ("day", "host", "eventType")
        },
        "holds": sorted(call(selectors.holds, es_selectors.holds, scene.host, days), key=repr),
    }


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=commands)
def test_both_stores_answer_alike_and_live_equals_replay(app: Slotwise, es: Any, steps: list[Any]) -> None:
    start_afresh(app)
    for name in VIEWS:  # empty indices too: this example's log is all there is
        for retired in switch_alias(es, name, create_index(es, name)):
            es.indices.delete(index=retired)
    scene = Scene(app)
    live = _projectors(app, es)

    def flow(n: int) -> None:
        for projector in live:
            for _ in range(n):
                projector.step()

    scene.play(steps, flow)
    for projector in live:
        projector.catch_up()
    answers = _answers(es, scene)
    assert answers["es"] == answers["sql"]
    built_live = documents(es)
    for view in VIEWS.values():
        replay_es(view, LogSource(app), es, batch_size=5)
    assert documents(es) == built_live
    assert _answers(es, scene)["es"] == answers["sql"]


def test_every_event_twice_changes_nothing(app: Slotwise, es: Any) -> None:
    scene = Scene(app)
    made = [app.book_slot(scene.event_types[n % 2], scene.start(n), ATTENDEE).subject.id for n in range(6)]
    app.reschedule_booking(made[0], scene.start(20))
    app.cancel_booking(made[1], "x")
    app.update_event_type(scene.org, scene.event_types[1], {"title": "Renamed"})
    appliers = [EsApplier(view=view, es=es) for view in VIEWS.values()]
    for view, applier in zip(VIEWS.values(), appliers, strict=True):
        Projector(view, LogSource(app), applier=applier).catch_up()
    once = documents(es)
    for view, applier in zip(VIEWS.values(), appliers, strict=True):
        positions.reset(applier.key, 0, None)
        Projector(view, LogSource(app), batch_size=3, applier=applier).catch_up()
    assert documents(es) == once
    assert len([d for d in once if d[0].startswith("booking:")]) == 6


def test_an_existing_index_gains_the_fields_a_newer_release_maps(es: Any, settings: Any) -> None:
    """A release that maps new fields (e.g. host emails) adds them to the live index in place."""
    from projections.elastic.client import MAPPINGS, alias, ensure_alias

    settings.SLOTWISE_ES_PREFIX = f"{settings.SLOTWISE_ES_PREFIX}-old"
    old = {k: v for k, v in MAPPINGS["agenda"]["properties"].items() if k not in ("email", "slug", "settings")}
    es.indices.create(index=f"{alias('agenda')}-1", mappings={"dynamic": "strict", "properties": old})
    es.indices.put_alias(index=f"{alias('agenda')}-1", name=alias("agenda"))
    ensure_alias(es, "agenda")  # the alias exists: only the mapping is brought up to date
    mapped = next(iter(es.indices.get_mapping(index=alias("agenda")).values()))["mappings"]["properties"]
    assert {"email", "slug", "settings"} <= set(mapped)
