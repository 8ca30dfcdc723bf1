"""Where projectors read events from: the event store's log directly (the embedded default)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

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
        self._pages: dict[tuple[int, int, tuple[str, ...], int | None], list[Envelope]] | None = None

    @contextmanager
    def sharing_pages(self) -> Iterator[None]:
        """Within the block, a page already read is handed out again instead of read and
        decoded anew: the views one process keeps read the same page of the log in turn."""
        self._pages = {}
        try:
            yield
        finally:
            self._pages = None

    def read(self, after: int, limit: int, *, types: Iterable[str] = (), stop: int | None = None) -> list[Envelope]:
        """Events after `after` (up to `stop`), only of the given public `types` when named:
        the store filters them, so a rebuild never decodes what its view ignores."""
        if self._pages is None:
            return self._read(after, limit, types, stop)
        key = (after, limit, tuple(sorted(types)), stop)
        if key not in self._pages:
            self._pages[key] = self._read(after, limit, types, stop)
        return self._pages[key]

    def _read(self, after: int, limit: int, types: Iterable[str], stop: int | None) -> list[Envelope]:
        wanted = set(types)
        topics = [get_topic(cls) for cls, name in PUBLIC_NAMES.items() if name in wanted]
        notifications = self.app.recorder.select_notifications(start=after + 1, limit=limit, stop=stop, topics=topics)
        to_event = self.app.mapper.to_domain_event
        return [Envelope.of(to_event(n), n.id) for n in notifications]

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0
