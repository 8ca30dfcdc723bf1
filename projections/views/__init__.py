"""The views: each turns public events into rows, ignoring the events it does not need.

A view never reads the event store or another view: everything it needs arrives as events,
so replaying the log into empty tables rebuilds exactly what the live projector built.
"""

from __future__ import annotations

from projections.views.agenda import Agenda
from projections.views.availability import Availability
from projections.views.base import View
from projections.views.reminders import Reminders

VIEWS: dict[str, View] = {view.name: view for view in (Agenda(), Availability(), Reminders())}
