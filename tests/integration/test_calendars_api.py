"""Connecting a host's CalDAV calendar over REST: checked before it is kept, kept encrypted,
scoped to the organisation."""

from __future__ import annotations

from typing import Any

from booking.api_keys import create_api_key
from providers.caldav import CalDavProvider
from providers.models import CalendarAccount
from providers.secrets import unseal
from tests.integration.conftest import Api, make_host
from tests.integration.hostile_servers import Scripted, scripted_server

REFUSED = "the calendar could not be used: the server refused the username and password (401)"


def _body(server: Any, name: str, **change: str) -> dict[str, str]:
    url = server.calendar_url(name)
    CalDavProvider(url, server.username, server.password).ensure_calendar()
    return {"provider": "caldav", "url": url, "username": server.username, "password": server.password, **change}


def test_connect_list_and_disconnect(api: Api, radicale_server: Any) -> None:
    host = make_host(api)
    made = api.post(f"/hosts/{host}/calendars", _body(radicale_server, "api-1"))
    assert made.status == 201, made.body
    assert set(made.data) == {"id", "hostId", "provider", "url", "username", "connectedAt", "status", "health"}
    assert made.data["status"] == "connected"  # and never the password
    assert made.data["health"] == {"circuit": "closed", "consecutiveFailures": 0, "openedAt": None}
    row = CalendarAccount.objects.get(id=made.data["id"])
    assert radicale_server.password not in row.secret and unseal(row.secret) == {"password": radicale_server.password}
    assert [c["id"] for c in api.get(f"/hosts/{host}/calendars").data] == [made.data["id"]]
    other = Api(create_api_key("globex"))
    assert other.get(f"/hosts/{host}/calendars").status == 404
    assert other.call("DELETE", f"/hosts/{host}/calendars/{made.data['id']}").status == 404
    assert api.call("DELETE", f"/hosts/{host}/calendars/{made.data['id']}").status == 204
    assert api.get(f"/hosts/{host}/calendars").data == []
    gone = api.call("DELETE", f"/hosts/{host}/calendars/{made.data['id']}")
    assert (gone.status, gone.code) == (404, "not_found")


def test_a_calendar_that_cannot_be_used_is_refused_and_nothing_is_kept(api: Api, radicale_server: Any) -> None:
    host = make_host(api)
    cases = [
        ({"password": "wrong"}, "url"),
        ({"url": "http://127.0.0.1:9/nothing/"}, "url"),
        ({"url": "ftp://example.com/cal"}, "url"),
        ({"provider": "google"}, "provider"),
        ({"username": ""}, "url"),  # no username: the server's 401 leaves the client nothing to offer
    ]
    for change, field in cases:
        refused = api.post(f"/hosts/{host}/calendars", _body(radicale_server, "api-2", **change))
        assert (refused.status, refused.code) == (422, "validation_error"), (change, refused.body)
        assert refused.body["errors"][0]["field"] == field
    with scripted_server(Scripted(401, {"WWW-Authenticate": "Negotiate"}, b"")) as base:
        negotiate = api.post(f"/hosts/{host}/calendars", _body(radicale_server, "api-2", url=f"{base}ada/work/"))
    assert negotiate.status == 422 and negotiate.body["errors"] == [{"field": "url", "message": REFUSED}]
    missing = api.post(f"/hosts/{host}/calendars", {"provider": "caldav", "url": "http://x/"})
    assert missing.status == 422
    assert not CalendarAccount.objects.exists()
