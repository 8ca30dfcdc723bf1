"""What every view has: a name, its tables, and one handler per event type it cares about."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.db import models

from projections.envelope import Envelope

# The tables a view writes to: the live models, or their staging copies during a replay.
Tables = Mapping[type[models.Model], Any]


class View:
    name: ClassVar[str]
    models: ClassVar[tuple[type[models.Model], ...]]
    handlers: ClassVar[dict[str, Callable[[Any, Envelope, Tables], None]]]
    # The read stores it can live in. A view kept only in SQL stays there whatever
    # SLOTWISE_READ_STORE says, and has an empty index in Elasticsearch.
    stores: ClassVar[tuple[str, ...]] = ("sql", "elasticsearch")

    def apply(self, event: Envelope, tables: Tables) -> None:
        handler = self.handlers.get(event.type)
        if handler is not None:
            handler(self, event, tables)
