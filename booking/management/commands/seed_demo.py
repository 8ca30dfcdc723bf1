"""Seeds (or reuses) the demo organisation, host and event type, and prints how to call them.

The demo API key is made afresh on every run and printed, never stored: the keys earlier runs
printed are revoked, so the only copy of a live key is the one on the terminal.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from booking.api_keys import create_api_key, revoke_api_key
from booking.bootstrap import get_app
from booking.domain import ids
from booking.domain.schedule import Schedule
from booking.models import ApiKey
from booking.settings.paths import VAR_DIR

DEMO_ORG = "demo"
DEMO_SLUG = "intro-call"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


class Command(BaseCommand):
    help = "Create the demo organisation, host and event type (reused on later runs) and a fresh demo API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        key = self._demo_key()
        app = get_app()
        org = ids.organisation_id(DEMO_ORG)
        host = next((h for h in app.hosts(org) if h.email == "demo.host@example.com"), None)
        if host is None:
            host = app.register_host(org, "Demo Host", "demo.host@example.com", "Europe/Berlin").subject
            weekly = {d: [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}] for d in WEEKDAYS}
            app.change_schedule(org, host.id, Schedule.parse(weekly, []))
        event_type = next((et for et in app.event_types(org, host.id) if et.settings["slug"] == DEMO_SLUG), None)
        if event_type is None:
            fields = {"slug": DEMO_SLUG, "title": "Intro call", "length_in_minutes": 30}
            event_type = app.create_event_type(org, host.id, fields).subject
        base = f"http://127.0.0.1:{options['port']}"
        self.stdout.write("Slotwise demo is ready. Demo API key:")
        self.stdout.write(key)
        self.stdout.write(f"API:      {base}/api/v1/   (OpenAPI: {base}/api/v1/openapi.json, docs: {base}/api/v1/docs)")
        self.stdout.write(f"Host:     {host.id}  Event type: {event_type.id}")
        slots = (
            f"{base}/api/v1/slots?eventTypeId={event_type.id}&start=YYYY-MM-DD&end=YYYY-MM-DD&timeZone=Europe/Berlin"
        )
        self.stdout.write(f"Try:      curl '{slots}'")

    @staticmethod
    def _demo_key() -> str:
        """A new demo key; the ones before it stop working (releases before this one kept the key
        in plain text under var/: that file goes too)."""
        (Path(VAR_DIR) / "demo_api_key").unlink(missing_ok=True)
        live = ApiKey.objects.filter(organisation_slug=DEMO_ORG, revoked_at__isnull=True)
        for prefix in live.values_list("prefix", flat=True):
            revoke_api_key(prefix)
        return create_api_key(DEMO_ORG)
