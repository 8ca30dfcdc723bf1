"""The HTTP edge beyond single bad fields: the self-hosted API docs, security headers, bodies of
unknown length through a real gunicorn, and reads that used to answer 500."""

from __future__ import annotations

import base64
import json
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from booking.application import Slotwise
from projections.models import DeadLetter
from tests.integration.conftest import Api, attendee, make_event_type, make_host
from tests.integration.graphql_support import BOOK, Gql
from tests.integration.server import gunicorn
from tests.support import events_in

NINE = "2026-01-06T08:00:00Z"  # Tuesday 09:00 in Berlin


def _urls_in(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', html)


def test_the_api_docs_are_served_from_here_and_only_from_here(app: Slotwise) -> None:
    # given the interactive docs page
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    # then every script and style it loads is ours, and answers 200
    urls = _urls_in(html)
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls)
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        assert client.get(url).status_code == 200, url
    # and nothing in the page points off-host: the spec is ours, the validator badge is off
    assert not re.search(r"(?:https?:)?//(?!www\.w3\.org/)", html.replace("://127.0.0.1", ""))
    settings_json = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S)[1])  # type: ignore[index]
    assert settings_json["url"] == "/api/v1/openapi.json" and settings_json["validatorUrl"] is None
    assert client.get(settings_json["url"]).status_code == 200


def test_the_docs_page_runs_no_inline_script_and_its_policy_allows_only_our_files(app: Slotwise) -> None:
    page = Client().get("/api/v1/docs")
    html = page.content.decode()
    # every <script> either loads a file or is inert JSON, so script-src 'self' suffices
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/api/v1/hosts", "/api/v1/docs", "/healthz", "/static/ninja/swagger-ui.css"])
def test_every_response_tells_browsers_not_to_sniff_and_to_keep_referrers(app: Slotwise, path: str) -> None:
    response = Client().get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_json_answers_carry_no_page_policy_but_are_never_framed(app: Slotwise) -> None:
    response = Client().get("/api/v1/hosts")
    assert response.status_code == 401 and "Content-Security-Policy" not in response
    assert response["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_only_on_requests_the_tls_proxy_vouches_for(app: Slotwise, settings: Any) -> None:
    # given a deployment behind a TLS proxy that sets X-Forwarded-Proto
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    client = Client()
    # when a request came over TLS, it gets HSTS; over plain HTTP, it does not
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    plain = client.get("/healthz")
    assert secure["Strict-Transport-Security"] == "max-age=3600"
    assert "Strict-Transport-Security" not in plain


def _raw_http(base: str, request: bytes) -> tuple[int, dict[str, str], Any]:
    """Sends bytes as they are (Django's test client cannot send a chunked body)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    if headers.get("Transfer-Encoding") == "chunked":
        body = _unchunked(body)
    return int(lines[0].split()[1]), headers, json.loads(body) if body else None


def _unchunked(body: bytes) -> bytes:
    whole = b""
    while True:
        size, _, rest = body.partition(b"\r\n")
        if int(size, 16) == 0:
            return whole
        whole, body = whole + rest[: int(size, 16)], rest[int(size, 16) + 2 :]


def _chunked(path: str, body: bytes, headers: str = "") -> bytes:
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:]))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + chunks + b"0\r\n\r\n"


def test_a_chunked_body_is_refused_with_411_through_gunicorn_and_writes_nothing(
    app: Slotwise, api: Api, api_key: str
) -> None:
    # given an offered slot, and a real gunicorn in front of the application
    event_type = make_event_type(api, make_host(api))
    booking = json.dumps({"eventTypeId": event_type, "start": NINE, "attendee": attendee()}).encode()
    host = json.dumps({"name": "Ada", "email": "ada@example.com", "timeZone": "UTC"}).encode()
    before = events_in(app)
    with gunicorn(workers=1, threads=2) as base:
        # when bodies arrive chunked, without a Content-Length
        booked = _raw_http(base, _chunked("/api/v1/bookings", booking))
        hosted = _raw_http(base, _chunked("/api/v1/hosts", host, f"Authorization: Bearer {api_key}\r\n"))
        graphql = _raw_http(base, _chunked("/graphql", json.dumps({"query": "{ __typename }"}).encode()))
    # then each is 411, the REST ones as problem+json, and nothing ran as an empty request
    for status, headers, body in (booked, hosted):
        assert (status, body["code"]) == (411, "length_required"), body
        assert headers["Content-Type"] == "application/problem+json"
    assert graphql[0] == 411 and graphql[2]["errors"][0]["extensions"]["code"] == "length_required"
    assert events_in(app) == before


def test_a_booking_name_postgresql_cannot_store_is_refused_before_anything_is_written(
    app: Slotwise, api: Api, public: Api, project: Any
) -> None:
    # given an offered slot
    event_type = make_event_type(api, make_host(api))
    before = events_in(app)
    # when an attendee name carries a NUL, over REST and over GraphQL
    rest = public.post(
        "/bookings", {"eventTypeId": event_type, "start": NINE, "attendee": attendee() | {"name": "B\0"}}
    )
    gql = Gql()(BOOK, {"input": {"eventTypeId": event_type, "start": NINE, "attendee": attendee() | {"name": "B\0"}}})
    # then both refuse it naming the field, nothing is written, and the slot is still free
    assert rest.status == 422 and rest.fields == ["attendee.name"]
    assert [e["field"] for e in gql.data["bookingCreate"]["errors"]] == ["attendee.name"]
    assert events_in(app) == before
    assert public.post("/bookings", {"eventTypeId": event_type, "start": NINE, "attendee": attendee()}).status == 201
    project()
    assert DeadLetter.objects.count() == 0


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01")])
def test_slots_at_the_ends_of_the_calendar_are_refused_not_overflowed(
    app: Slotwise, api: Api, public: Api, start: str, end: str
) -> None:
    event_type = make_event_type(api, make_host(api))
    reply = public.get(f"/slots?eventTypeId={event_type}&start={start}&end={end}&timeZone=Pacific/Kiritimati")
    assert (reply.status, reply.fields) == (422, ["start", "end"]), reply.body


@pytest.mark.parametrize(
    "bound", ["from=9999-12-31", "to=0001-01-01", "from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01"]
)
def test_agenda_dates_outside_the_years_are_refused(app: Slotwise, api: Api, bound: str) -> None:
    reply = api.get(f"/agenda?{bound}")
    assert reply.status == 422 and reply.fields == [bound.split("=")[0]]


def test_a_deeply_nested_agenda_cursor_is_refused_as_not_ours(app: Slotwise, api: Api, api_key: str) -> None:
    # given a cursor that is base64 of 100,000 nested arrays
    cursor = base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    # when it is sent to the agenda, over REST and over GraphQL
    rest = api.get(f"/agenda?cursor={cursor}")
    query = "query($a: String) { agenda(after: $a) { edges { cursor } } }"
    gql = Gql(api_key).get({"query": query, "variables": json.dumps({"a": cursor})})  # too big for a body
    # then both say it is not a cursor this API issued
    assert (rest.status, rest.fields) == (422, ["cursor"])
    assert gql.codes == ["validation_error"] and gql.errors[0]["extensions"]["field"] == "after"


def test_an_agenda_search_with_a_nul_is_refused(app: Slotwise, api: Api) -> None:
    reply = api.get("/agenda?q=Bo%00")
    assert (reply.status, reply.fields) == (422, ["q"])


def test_a_request_id_with_a_newline_is_replaced_not_echoed(app: Slotwise, public: Api) -> None:
    reply = public.get("/slots", headers={"X-Request-ID": "abc\n"})
    assert reply.status == 422 and re.fullmatch(r"[0-9a-f]{32}", reply.headers["X-Request-ID"])


@pytest.mark.parametrize("path", ["", "/history"])
def test_a_non_ascii_cancel_token_reads_as_a_wrong_one(app: Slotwise, api: Api, public: Api, path: str) -> None:
    event_type = make_event_type(api, make_host(api))
    made = public.post("/bookings", {"eventTypeId": event_type, "start": NINE, "attendee": attendee()})
    reply = public.get(f"/bookings/{made.data['uid']}{path}", headers={"X-Cancel-Token": "t\u00f6ken"})
    assert (reply.status, reply.code) == (404, "not_found")


def test_a_body_declared_as_json_in_utf8_is_accepted(app: Slotwise, api: Api, public: Api) -> None:
    event_type = make_event_type(api, make_host(api))
    body = {"eventTypeId": event_type, "start": NINE, "attendee": attendee() | {"name": "Zo\u00eb"}}
    reply = public.post("/bookings", body, headers={"Content-Type": "application/json; charset=UTF-8"})
    assert reply.status == 201 and reply.data["attendee"]["name"] == "Zo\u00eb"


def test_the_openapi_document_shows_the_new_constraints(app: Slotwise) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    booking_in = schema["components"]["schemas"]["BookingIn"]["properties"]
    assert booking_in["start"]["pattern"].startswith("^(?:19|2[0-9])")
    attendee_in = schema["components"]["schemas"]["AttendeeIn"]["properties"]
    assert attendee_in["name"]["pattern"] and attendee_in["email"]["format"] == "email"
    create = schema["paths"]["/api/v1/bookings"]["post"]
    assert "415" in create["responses"] and list(create["requestBody"]["content"]) == ["application/json"]
