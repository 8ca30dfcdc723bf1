"""The OAuth calendar connect as a host's browser goes through it: the API client asks for a link,
the browser follows it to our start page, presses its button (which leaves a cookie; the browser
says the form came from our own page) and goes on to the provider's contract server, which sends
it back to our callback. `Api` clients stand for browsers: each keeps its cookies."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from django.conf import settings

from tests.integration.conftest import Api

PUBLIC_URL = "https://slotwise.example"
START = f"{PUBLIC_URL}/api/v1/calendars/oauth/start"
CALLBACK = f"{PUBLIC_URL}/api/v1/calendars/oauth/callback"
APP = "https://app.example"  # where the tests' client application lives (an allowed returnTo origin)


def use_provider(settings: Any, server: Any) -> Any:
    """Slotwise, served at PUBLIC_URL, connects calendars of this contract server."""
    settings.SLOTWISE_OAUTH = {**settings.SLOTWISE_OAUTH, server.provider: server.oauth_settings()}
    settings.SLOTWISE_PUBLIC_URL = PUBLIC_URL
    settings.SLOTWISE_OAUTH_RETURN_ORIGINS = (APP,)
    return server


def link(api: Api, host: str, provider: str, **query: str) -> str:
    """The consent link the API client gets for the host's browser."""
    extra = "&".join(f"{name}={quote(value, safe='')}" for name, value in query.items())
    reply = api.get(f"/hosts/{host}/calendars/{provider}/connect?{extra}")
    assert reply.status == 200, reply.body
    return str(reply.data["authorizationUrl"])


def open_link(browser: Api, url: str) -> Any:
    """The browser follows the consent link to our start page and presses its button; the raw answer
    (302 to the provider), or the page's own refusal."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == START
    return press(browser, f"{parts.path}?{parts.query}")


def press(browser: Api, page_url: str) -> Any:
    """What a browser does at the start page: shows it, then sends its one form as it would."""
    page = browser.client.get(page_url)
    if page.status_code != 200:
        return page
    form = Form()
    form.feed(page.content.decode())
    assert form.method == "post" and form.action is None, page.content  # posted back to the page's own URL
    served_at = urlsplit(settings.SLOTWISE_PUBLIC_URL)  # where the browser loaded the page from
    origin = f"{served_at.scheme}://{served_at.netloc}"
    return post_form(browser, page_url, form.fields, ORIGIN=origin, SEC_FETCH_SITE="same-origin")


def post_form(browser: Api, page_url: str, fields: dict[str, str], **headers: str) -> Any:
    """The start page's form as a browser posts it, with the headers that say where it was sent from."""
    sent = {f"HTTP_{name}": value for name, value in headers.items()}
    return browser.client.post(page_url, urlencode(fields), content_type="application/x-www-form-urlencoded", **sent)


class Form(HTMLParser):
    """The one form of a page: its method, its action, and the fields it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.method, self.action, self.fields = "", None, {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.method, self.action = str(found.get("method", "get")).lower(), found.get("action")
        elif tag == "input" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def at_provider(consent_page: str) -> dict[str, list[str]]:
    """The user consents at the provider; the query it sends the browser back to our callback with."""
    answer = requests.get(consent_page, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return parse_qs(location.query)


def consent(api: Api, browser: Api, host: str, provider: str, **query: str) -> dict[str, list[str]]:
    """Link, start page, consent: the callback query the provider hands this browser."""
    opened = open_link(browser, link(api, host, provider, **query))
    assert opened.status_code == 302, opened.content
    return at_provider(opened["Location"])


def callback(browser: Api, query: dict[str, list[str]]) -> Any:
    params = "&".join(f"{name}={quote(values[0], safe='')}" for name, values in query.items())
    return browser.get(f"/calendars/oauth/callback?{params}")
