"""Connecting a Google or Microsoft calendar cannot be hijacked: the code exchange proves PKCE, the
callback is honoured only in the browser that opened the consent link and only once, the link
expires, and `returnTo` never sends the browser off to a foreign origin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.utils import timezone

from providers.base import ProviderError
from providers.models import CalendarAccount, OAuthConsent
from providers.oauth import OAuthClient
from providers.pkce import code_challenge
from tests.integration.conftest import Api, make_host
from tests.integration.hostile_servers import Scripted, scripted_server
from tests.integration.oauth_browser import (
    APP,
    at_provider,
    callback,
    consent,
    link,
    open_link,
    post_form,
    press,
    use_provider,
)


@pytest.fixture(params=["google_server", "microsoft_server"])
def provider_server(request: pytest.FixtureRequest, settings: Any) -> Any:
    return use_provider(settings, request.getfixturevalue(request.param))


def the_consent() -> OAuthConsent:
    found: OAuthConsent = OAuthConsent.objects.get()
    return found


# --- PKCE ------------------------------------------------------------------------------------------


def test_the_provider_is_asked_with_the_s256_challenge_of_a_verifier_that_stays_on_the_server(
    api: Api, public: Api, provider_server: Any
) -> None:
    # given the link the API client gets, followed by the host's browser to the provider
    host = make_host(api)
    url = link(api, host, provider_server.provider)
    verifier = the_consent().code_verifier
    opened = open_link(public, url)
    back = at_provider(opened["Location"])

    # then the provider was asked with the S256 challenge of the verifier kept on the server
    asked = provider_server.requests(provider_server.authorize_path)[-1].query
    assert (asked["code_challenge"], asked["code_challenge_method"]) == (code_challenge(verifier), "S256")
    # and the verifier travelled nowhere the browser (or anyone watching it) could see
    seen = [url, opened["Location"], back["state"][0], *(c.value for c in opened.cookies.values())]
    assert not [place for place in seen if verifier in place]
    # and the code exchange showed it: the provider, which checks it, gave tokens
    assert callback(public, back).status == 201


# --- bound to the browser ----------------------------------------------------------------------------


def test_the_start_page_leaves_a_host_only_http_only_lax_cookie_over_tls(
    api: Api, public: Api, google_server: Any, settings: Any
) -> None:
    use_provider(settings, google_server)
    opened = open_link(public, link(api, make_host(api), "google"))

    assert opened.status_code == 302
    assert opened["Location"].startswith(google_server.authorize_url)
    cookie = opened.cookies["__Host-slotwise-oauth"]
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, True, "Lax", "/")
    assert (cookie["domain"], cookie["max-age"]) == ("", 600)
    assert opened["Cache-Control"] == "no-store"


def test_without_tls_the_cookie_is_not_secure_and_has_no_host_prefix(
    api: Api, public: Api, google_server: Any, settings: Any
) -> None:
    use_provider(settings, google_server)
    settings.SLOTWISE_PUBLIC_URL = "http://127.0.0.1:8000"  # the embedded demo: a browser drops Secure cookies here
    parts = urlsplit(link(api, make_host(api), "google"))
    opened = press(public, f"{parts.path}?{parts.query}")

    assert opened.status_code == 302
    assert "__Host-slotwise-oauth" not in opened.cookies
    assert (opened.cookies["slotwise-oauth"]["secure"], opened.cookies["slotwise-oauth"]["httponly"]) == ("", True)


def test_a_callback_in_a_browser_without_the_cookie_is_refused_and_connects_nothing(
    api: Api, public: Api, provider_server: Any
) -> None:
    # given the host's browser at the provider, and its callback URL caught by someone else
    host = make_host(api)
    query = consent(api, public, host, provider_server.provider)
    stranger = Api()

    # when the stranger's browser follows it
    refused = callback(stranger, query)

    # then it is refused, and nothing is connected
    assert (refused.status, refused.fields) == (422, ["state"])
    assert not CalendarAccount.objects.filter(host_id=host).exists()
    # and the host's own browser can still finish
    assert callback(public, query).status == 201


def test_a_callback_in_a_browser_with_a_cookie_of_its_own_is_refused(
    api: Api, public: Api, provider_server: Any
) -> None:
    # given a stranger's browser that holds a consent cookie of its own
    host = make_host(api)
    query = consent(api, public, host, provider_server.provider)
    stranger = Api()
    consent(api, stranger, make_host(api), provider_server.provider)

    # when it follows the host's callback URL, then it is refused
    assert callback(stranger, query).fields == ["state"]
    assert not CalendarAccount.objects.filter(host_id=host).exists()


def test_a_consent_link_belongs_to_the_first_browser_that_opens_it(api: Api, public: Api, provider_server: Any) -> None:
    url = link(api, make_host(api), provider_server.provider)
    assert open_link(public, url).status_code == 302

    second = open_link(Api(), url)

    assert second.status_code == 422
    assert [e["field"] for e in second.json()["errors"]] == ["consent"]
    assert open_link(public, url).status_code == 302  # the same browser again (a reload) is fine


@pytest.mark.parametrize(
    "sent_from",
    [
        {"ORIGIN": "https://evil.example", "SEC_FETCH_SITE": "cross-site"},
        {"ORIGIN": "https://evil.example"},  # a browser that sends Origin only
        {"ORIGIN": "null"},  # a sandboxed frame or a data: page
        {"SEC_FETCH_SITE": "same-site"},  # a sibling subdomain, which need not be ours
        {"ORIGIN": "https://slotwise.example.evil.example", "SEC_FETCH_SITE": "cross-site"},
    ],
    ids=["cross-site", "origin-only", "null-origin", "same-site", "look-alike"],
)
def test_a_consent_form_posted_from_a_page_elsewhere_binds_nothing(
    api: Api, public: Api, provider_server: Any, sent_from: dict[str, str]
) -> None:
    # given a consent link for a host, which its owner's page posts from a visitor's browser
    url = link(api, make_host(api), provider_server.provider)
    parts = urlsplit(url)
    nonce = parse_qs(parts.query)["consent"][0]
    visitor = Api()
    # when the visitor's browser sends the form from that page
    forced = post_form(visitor, f"{parts.path}?{parts.query}", {"consent": nonce}, **sent_from)
    # then it is refused (403 problem+json), leaves no cookie, and the consent is still the host's to open
    assert forced.status_code == 403 and forced.json()["code"] == "forbidden", forced.content
    assert forced["Content-Type"] == "application/problem+json" and not forced.cookies
    assert open_link(public, url).status_code == 302


def test_a_callback_is_good_once_even_with_a_fresh_code_for_its_state(
    api: Api, public: Api, provider_server: Any
) -> None:
    # given a host who went through the provider's consent page twice with the same link
    host = make_host(api)
    opened = open_link(public, link(api, host, provider_server.provider))
    first, second = at_provider(opened["Location"]), at_provider(opened["Location"])
    assert first["state"] == second["state"] and first["code"] != second["code"]
    assert callback(public, first).status == 201

    # when the state comes back again, with a code the provider would still honour
    replayed = callback(public, second)

    # then it is refused before the provider is asked, and one calendar is connected
    assert (replayed.status, replayed.fields) == (422, ["state"])
    assert len(provider_server.requests(provider_server.token_path)) == 1
    assert CalendarAccount.objects.filter(host_id=host).count() == 1


def test_a_consent_expires_after_ten_minutes(api: Api, public: Api, provider_server: Any) -> None:
    host = make_host(api)
    url = link(api, host, provider_server.provider)
    assert the_consent().expires_at - timezone.now() <= timedelta(minutes=10)
    query = at_provider(open_link(public, url)["Location"])

    OAuthConsent.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # ten minutes later

    assert callback(public, query).fields == ["state"]
    late = open_link(public, url)
    assert (late.status_code, [e["field"] for e in late.json()["errors"]]) == (422, ["consent"])
    assert not CalendarAccount.objects.filter(host_id=host).exists()


def test_a_consent_link_must_be_one_we_handed_out(db: None, public: Api, provider_server: Any) -> None:
    for query in ("", "?consent=", "?consent=made-up"):
        answer = public.get(f"/calendars/oauth/start{query}")
        assert (answer.status, answer.fields) == (422, ["consent"]), query


# --- returnTo ------------------------------------------------------------------------------------


HOSTILE_RETURN_TO = [
    "https://evil.example/settings",
    "javascript:alert(document.cookie)",
    "JavaScript://app.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/settings",
    "///evil.example/",
    "/settings",
    "https://app.example@evil.example/",
    "https://app.example:443@evil.example/",
    "https://user:pass@app.example/",
    "https://evil.example#@app.example/",
    "https://evil.example\\@app.example/",
    "https:\\\\evil.example\\settings",
    "https:/\\evil.example/",
    "https://app.example\\.evil.example/",
    "https://app.example.evil.example/",
    "https://evil.example/?next=https://app.example/",
    "https://app.example./",
    "http://app.example/",
    "https://app.example:8443/",
    "https://app.example:99999/",
    "https://ap\tp.example/",
    " https://app.example/",
    "https://app.example/\r\nSet-Cookie:x=1",
    "https://\u0430pp.example/",  # a Cyrillic a
    "https://\uff41\uff50\uff50.example/",  # full-width letters, which browsers fold to ASCII
    "https://xn--pp-7ka.example/",
    "ftp://app.example/",
    "https://app.example%2eevil.example/",
    "",
    "http://[::1",  # brackets without their pair, which urlsplit refuses to read
    "https://[",
    "http://a]b/",
    "https://[v1.app.example]/",  # an IPvFuture literal, looked up as a name if read at all
]


@pytest.mark.parametrize("return_to", HOSTILE_RETURN_TO)
def test_a_return_to_off_the_allowed_origins_is_refused(
    api: Api, google_server: Any, settings: Any, return_to: str
) -> None:
    use_provider(settings, google_server)  # allowed: https://app.example only
    host = make_host(api)

    reply = api.get(f"/hosts/{host}/calendars/google/connect?returnTo={quote(return_to, safe='')}")

    assert (reply.status, reply.fields) == (422, ["returnTo"]), reply.body
    assert not OAuthConsent.objects.exists()


@pytest.mark.parametrize("return_to", [f"{APP}/settings?tab=calendars", "HTTPS://APP.EXAMPLE:443/x", f"{APP}"])
def test_a_return_to_on_an_allowed_origin_is_where_the_browser_goes_back(
    api: Api, public: Api, google_server: Any, settings: Any, return_to: str
) -> None:
    use_provider(settings, google_server)
    host = make_host(api)

    answer = callback(public, consent(api, public, host, "google", returnTo=return_to))

    assert answer.status == 302
    back = urlsplit(answer.headers["Location"])
    assert (back.scheme.lower(), back.netloc.lower().removesuffix(":443")) == ("https", "app.example")
    assert CalendarAccount.objects.filter(id=parse_qs(back.query)["calendarId"][0], host_id=host).exists()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_token_endpoint_that_redirects_is_not_followed_with_the_client_secret(status: int) -> None:
    # given a token endpoint that redirects, and a server it redirects to that would hand out tokens
    tokens = b'{"access_token": "a", "refresh_token": "r", "expires_in": 3600}'
    elsewhere = Scripted(200, {"Content-Type": "application/json"}, tokens)
    with scripted_server(elsewhere) as other, scripted_server(Scripted(status, {"Location": f"{other}token"})) as ours:
        client = OAuthClient("google", "id", "the-client-secret", f"{ours}auth", f"{ours}token", ("calendar",))
        # when the client refreshes a token there, then the redirect is an error, and not followed
        with pytest.raises(ProviderError):
            client.refresh("refresh-token")
    assert elsewhere.seen == []
