"""The consent link opens a page with one button; only pressing it binds the consent to a browser.
Mail and chat services fetch every link in a message to check it, and a fetch must not use the
link up before the host gets to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from booking.rest.consent_page import FORM
from providers.connect import START_PATH
from providers.models import CalendarAccount, OAuthConsent
from tests.integration.conftest import Api, make_host
from tests.integration.oauth_browser import APP, Form, at_provider, callback, link, open_link, use_provider


@pytest.fixture(params=["google_server", "microsoft_server"])
def provider_server(request: pytest.FixtureRequest, settings: Any) -> Any:
    return use_provider(settings, request.getfixturevalue(request.param))


def _page(browser: Api, url: str) -> Any:
    parts = urlsplit(url)
    return browser.client.get(f"{parts.path}?{parts.query}")


def _press(browser: Api, body: str | bytes, content_type: str = FORM) -> Any:
    """A POST to the start page, by default as a browser sends its form."""
    return browser.client.post(START_PATH, body, content_type=content_type)


def test_a_link_scanner_fetching_the_link_uses_nothing_up(api: Api, public: Api, provider_server: Any) -> None:
    # given a consent link that a mail scanner fetches (twice, as some do) before the host opens it
    host = make_host(api)
    url = link(api, host, provider_server.provider, returnTo=f"{APP}/settings")
    scanner = Api()
    fetched = [_page(scanner, url) for _ in range(2)]
    # then the scanner got the page, no cookie, and the consent is bound to no browser
    assert [answer.status_code for answer in fetched] == [200, 200]
    assert not any(answer.cookies for answer in fetched)
    assert OAuthConsent.objects.get().browser == ""
    # and the host's browser, pressing the button, is bound to it; the scanner pressing it after is not
    opened = open_link(public, url)
    assert opened.status_code == 302, opened.content
    late = _press(scanner, urlencode({"consent": OAuthConsent.objects.get().pk}))
    assert (late.status_code, [e["field"] for e in late.json()["errors"]]) == (422, ["consent"])
    # and the host's browser connects the calendar
    assert callback(public, at_provider(opened["Location"])).status == 302
    assert CalendarAccount.objects.filter(host_id=host).count() == 1


def test_the_page_posts_the_consent_back_and_lets_its_form_go_only_here_and_to_the_provider(
    api: Api, public: Api, google_server: Any, settings: Any
) -> None:
    use_provider(settings, google_server)
    url = link(api, make_host(api), "google")

    page = _page(public, url)

    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8" and page["Cache-Control"] == "no-store"
    form = Form()
    form.feed(page.content.decode())
    assert (form.method, form.action, form.fields) == ("post", None, {"consent": OAuthConsent.objects.get().pk})
    provider = urlsplit(google_server.authorize_url)
    policy = [directive.strip() for directive in page["Content-Security-Policy"].split(";")]
    assert f"form-action 'self' {provider.scheme}://{provider.netloc}" in policy
    assert {"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} <= set(policy)
    assert b"<script" not in page.content


NOT_OURS = [
    "other=1",
    "consent=",
    "consent=made-up",
    "consent=%00",
    "consent=caf%C3%A9",
    "caf\u00e9".encode(),
    "a=1&" * 500,
]


@pytest.mark.parametrize("body", NOT_OURS)
def test_pressing_the_button_without_a_consent_of_ours_is_refused_naming_consent(
    db: None, public: Api, google_server: Any, settings: Any, body: str | bytes
) -> None:
    use_provider(settings, google_server)

    answer = _press(public, body)

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["consent"]
    assert "Set-Cookie" not in answer


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "application/json", "text/plain"]
)
def test_a_body_that_is_not_the_page_s_form_is_refused_unparsed_with_415(
    db: None, public: Api, google_server: Any, settings: Any, content_type: str
) -> None:
    # given a consent link, pressed with a body of another media type (even one naming a real consent)
    use_provider(settings, google_server)
    answer = _press(public, "consent=x", content_type)
    # then it is refused for its media type, not parsed (a multipart parser fails on a missing boundary)
    assert (answer.status_code, answer.json()["code"]) == (415, "unsupported_media_type")
