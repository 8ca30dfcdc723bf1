"""schemathesis against the live OpenAPI document: a bounded run of generated requests, every check.

A real gunicorn serves the test's database; schemathesis reads `/api/v1/openapi.json` from it and
sends, for every operation, up to FUZZ_EXAMPLES requests the document allows (which must be
accepted) and requests it forbids (which must be refused with a 4xx), then stateful sequences
along the links it infers. The run must end with no failure of any check: no server error, no
response outside its documented status codes, content types, headers and schemas, no request
the document allows refused, none it forbids accepted, and auth honoured.

What a generated request cannot know is supplied, so that a valid request is valid in fact:
the ids of a host, an event type and a booking made here, an agenda cursor this API issued, a
return URL on an allowed origin, and a webhook URL on a public name; offered starts, a reached log
position and a real CalDAV calendar (Radicale) go to `openapi_fuzz_hooks`, which also keeps the
rules that relate two values. An operation whose answer depends on what is outside the document is
told so below, and says why.

Every request the server makes goes to loopback: calendar URLs are the hooks' (a connect calls the
calendar it names, so a generated URL would have it call any host on the internet), the OAuth
providers' endpoints are a closed loopback port, and nothing delivers to the webhook URL here (no
dispatcher runs; subscribing checks the URL without calling it).

SLOTWISE_FUZZ_SEED picks another seed (the default one keeps `make test` repeatable).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from booking.api_keys import create_api_key
from booking.application import Slotwise
from providers.caldav import CalDavProvider
from tests.integration.server import ROOT, call, free_port, gunicorn

FUZZ_EXAMPLES = 50
SEED = os.environ.get("SLOTWISE_FUZZ_SEED", "20261201")
RETURN_TO = "http://127.0.0.1:8000/calendars/connected"  # the default SLOTWISE_OAUTH_RETURN_ORIGINS allows it
# Pinned: the document says `format: uri`, but a receiver URL with credentials or a localhost name
# is refused by the address rule (providers.addresses), which JSON Schema cannot state
WEBHOOK = "https://hooks.example.com/slotwise"

# Beyond the defaults (2xx, 3xx, 401, 403, 404, 409, 429, 5xx-as-failure), what a valid request may
# also get, and why the document cannot rule it out.
EXPECTED_BEYOND_DEFAULTS = {
    # consent and state are one-time values the server issues to a browser
    "GET /api/v1/calendars/oauth/start": [422],
    "POST /api/v1/calendars/oauth/start": [422],
    "GET /api/v1/calendars/oauth/callback": [422],
    # If-Match names a version: whether it is the current one is the server's state
    "PUT /api/v1/hosts/{host_id}/schedule": [412],
    "PATCH /api/v1/event-types/{event_type_id}": [412],
}
# An If-Match that names no version this API issued cannot match: 412, as RFC 9110 13.1.1 has it
REFUSED_BEYOND_DEFAULTS = {
    "PUT /api/v1/hosts/{host_id}/schedule": [412],
    "PATCH /api/v1/event-types/{event_type_id}": [412],
}
# schemathesis's own list, and 411: a body sent without its length is refused before it is read
NEGATIVE_DEFAULTS = ["400", "401", "403", "404", "405", "406", "409", "411", "415", "422", "428", "429"]


def test_the_api_holds_to_its_openapi_document_under_generated_requests(
    app: Slotwise, project: Callable[[], None], radicale_server: Any, tmp_path: Path
) -> None:
    # given a live server with a host, an event type, bookings and their agenda, and a CalDAV calendar
    key = create_api_key("acme")
    calendar = CalDavProvider(radicale_server.calendar_url("fuzz"), radicale_server.username, radicale_server.password)
    calendar.ensure_calendar()
    with gunicorn(workers=1, threads=8, env=_providers_nowhere()) as base:
        world = _world(base, key, app, project)
        config = _config(tmp_path, world)
        starts = tmp_path / "starts.txt"
        starts.write_text("\n".join(world["starts"]))
        # when schemathesis runs every check against the live document
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("st")),
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{base}/api/v1/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                str(FUZZ_EXAMPLES),
                "--seed",
                SEED,
                "--workers",
                "1",
                "--header",
                f"Authorization: Bearer {key}",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.integration.openapi_fuzz_hooks",
                "FUZZ_STARTS": str(starts),
                "FUZZ_EVENT_TYPE": world["booked_type"],
                "FUZZ_POSITION": str(world["position"]),
                "FUZZ_CALDAV_URL": calendar.url,
                "FUZZ_CALDAV_USERNAME": radicale_server.username,
                "FUZZ_CALDAV_PASSWORD": radicale_server.password,
            },
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    # then nothing failed, and the run really covered every operation
    summary = done.stdout[done.stdout.rfind("SUMMARY") :]
    print(summary)  # the figures: operations, phases, test cases
    assert done.returncode == 0, done.stdout[-12_000:] + done.stderr[-2_000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    assert selected and tested and int(tested[1]) == int(selected[2]) >= 25, summary
    assert re.search(r"(\d+) generated", summary) and int(re.search(r"(\d+) generated", summary)[1]) >= 1000  # type: ignore[index]


def _providers_nowhere() -> dict[str, str]:
    """Google and Microsoft offered (so their connect operations answer), their endpoints a closed
    loopback port: no request of the run can reach the providers themselves."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    return {
        f"SLOTWISE_{name}_{part}": value
        for name in ("GOOGLE", "MICROSOFT")
        for part, value in {
            "CLIENT_ID": "fuzz-client-id",
            "CLIENT_SECRET": "fuzz-client-secret",  # pragma: allowlist secret - a made-up client of no provider
            "TOKEN_URL": f"{nowhere}/token",
            "API_URL": f"{nowhere}/api",
        }.items()
    }


def _world(base: str, key: str, app: Slotwise, project: Callable[[], None]) -> dict[str, Any]:
    """Two hosts with an event type each: one whose settings the run changes at will, and one it
    only books, so that the starts offered when the run begins stay offered (unless booked)."""
    auth = {"Authorization": f"Bearer {key}"}

    def made(method: str, path: str, body: Any) -> Any:
        status, answer = call(base, method, path, body, auth)
        assert status in (200, 201), (path, answer)
        return answer["data"]

    def host_with_event_type(name: str) -> tuple[str, str]:
        host = made("POST", "/hosts", {"name": name, "email": "ada@example.com", "timeZone": "Europe/Berlin"})["id"]
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        made("PUT", f"/hosts/{host}/schedule", {"weekly": {d: [{"start": "08:00", "end": "20:00"}] for d in days}})
        body = {"hostId": host, "slug": "intro", "title": "Intro", "lengthInMinutes": 30, "minimumNoticeMinutes": 0}
        return host, made("POST", "/event-types", body)["id"]

    changed_host, changed_type = host_with_event_type("Ada")
    _, booked_type = host_with_event_type("Bea")
    starts = _offered(base, booked_type)
    attendee = {"name": "Bo", "email": "bo@example.com", "timeZone": "America/New_York"}
    bookings = [
        made("POST", "/bookings", {"eventTypeId": booked_type, "start": start, "attendee": attendee})
        for start in starts[:2]
    ]
    project()
    position = app.recorder.max_notification_id()
    status, page = call(base, "GET", "/agenda?limit=1", headers=auth)
    assert status == 200 and page["meta"]["nextCursor"], page
    return {
        "changed_host": changed_host,
        "changed_type": changed_type,
        "booked_type": booked_type,
        "booking": bookings[0]["uid"],
        "starts": starts[2:],
        "cursor": page["meta"]["nextCursor"],
        "position": position,
    }


def _offered(base: str, event_type: str) -> list[str]:
    first = datetime.now(UTC).date() + timedelta(days=1)
    query = f"eventTypeId={event_type}&start={first}&end={first + timedelta(days=27)}&timeZone=UTC"
    status, answer = call(base, "GET", f"/slots?{query}")
    assert status == 200, answer
    starts = [slot["start"] for day in answer["data"].values() for slot in day]
    assert len(starts) > 100, len(starts)
    return starts


def _config(folder: Path, world: dict[str, Any]) -> Path:
    """The run's configuration (schemathesis.toml), made for this world."""
    pinned = {
        "host_id": world["changed_host"],
        "query.hostId": world["changed_host"],
        "body.hostId": world["changed_host"],
        "event_type_id": world["changed_type"],
        "query.eventTypeId": world["booked_type"],
        "body.eventTypeId": world["booked_type"],
        "uid": world["booking"],
        "cursor": world["cursor"],
        "returnTo": RETURN_TO,
    }
    lines = [
        "[cache]",
        "enabled = false  # nothing kept between runs, and nothing written into the checkout",
        "",
        "[checks.negative_data_rejection]",
        f"expected-statuses = {json.dumps(NEGATIVE_DEFAULTS)}",
        "",
        "[parameters]",
        *(f"{json.dumps(name)} = {json.dumps(value)}" for name, value in pinned.items()),
        "",
        "[[operations]]",
        'include-name = "POST /api/v1/webhooks"',
        f'parameters = {{ "body.url" = {json.dumps(WEBHOOK)} }}',
    ]
    for operation in sorted({*EXPECTED_BEYOND_DEFAULTS, *REFUSED_BEYOND_DEFAULTS}):  # these win over the above
        lines += ["", "[[operations]]", f"include-name = {json.dumps(operation)}"]
        if operation in EXPECTED_BEYOND_DEFAULTS:
            expected = ["2xx", "3xx", "401", "403", "404", "409", "429", *map(str, EXPECTED_BEYOND_DEFAULTS[operation])]
            lines.append(f"checks.positive_data_acceptance.expected-statuses = {json.dumps(expected)}")
        if operation in REFUSED_BEYOND_DEFAULTS:
            refused = [*NEGATIVE_DEFAULTS, *map(str, REFUSED_BEYOND_DEFAULTS[operation])]
            lines.append(f"checks.negative_data_rejection.expected-statuses = {json.dumps(refused)}")
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config
