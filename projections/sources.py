"""Where projectors read events from: the event store's log directly (the embedded default)."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.utils import get_topic

from booking.application import Slotwise
from booking.domain.names import PUBLIC_NAMES
from projections.envelope import Envelope


class LogSource:
    """Pages through the notification log in order. Gaps (rolled-back inserts) are permanent
    and harmless: the store's insert lock makes commit order equal id order, so a page never
    skips an event that appears later below its last id."""

    def __init__(self, app: Slotwise) -> None:
        self.app = app

    def read(self, after: int, limit: int, *, types: Iterable[str] = (), stop: int | None = None) -> list[Envelope]:
        """Events after `after` (up to `stop`), only of the given public `types` when named:
        the store filters them, so a rebuild never decodes what its view ignores."""
        wanted = set(types)
        topics = [get_topic(cls) for cls, name in PUBLIC_NAMES.items() if name in wanted]
        notifications = self.app.recorder.select_notifications(start=after + 1, limit=limit, stop=stop, topics=topics)
        to_event = self.app.mapper.to_domain_event
        return [Envelope.of(to_event(n), n.id) for n in notifications]

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0
