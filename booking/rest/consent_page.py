"""The page a consent link opens: one button that posts the consent back, and nothing else.

Mail and chat services fetch the links in messages to check them; if the GET bound the consent,
their scanner would be "the first browser" and the host's own browser would be refused. So the
GET only shows this page, and binding waits for the POST its button sends, which scanners do not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from providers.connect import Landing
from providers.consents import TOKEN_SHAPE

NAMES = {"google": "Google", "microsoft": "Microsoft"}
FORM = "application/x-www-form-urlencoded"  # how a browser sends the page's form
CONSENT_FORM: dict[str, Any] = {  # what it sends, as the OpenAPI document shows it
    "type": "object",
    "properties": {"consent": {"type": "string", "pattern": f"^{TOKEN_SHAPE.pattern}$"}},
    "required": ["consent"],
}

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect your {name} calendar</title></head>
<body><main>
<h1>Connect your {name} calendar</h1>
<p>{name} will ask you to let Slotwise see when you are busy and add your bookings to your calendar.</p>
<form method="post"><input type="hidden" name="consent" value="{nonce}">
<button type="submit">Continue to {name}</button></form>
</main></body>
</html>
"""


def consent_page(landing: Landing) -> HttpResponse:
    """The page, never cached, whose form may go only here and on to the provider."""
    name = NAMES.get(landing.provider, landing.provider)
    response = HttpResponse(format_html(PAGE, name=name, nonce=landing.nonce), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _policy(landing.provider_origin)
    response["Cache-Control"] = "no-store"
    return response


def sent_from_the_page(request: HttpRequest) -> bool:
    """Whether the form came from our own page, as the browser tells: a page elsewhere that posts a
    consent link of its owner's into a visitor's browser would bind that browser, so the visitor's
    calendar would connect to the owner's host (a login CSRF). Browsers say where a POST comes from
    (Sec-Fetch-Site, Origin); a client that says neither is no browser another page could drive."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):  # same-site: a sibling subdomain is not us
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    ours = {request.get_host().lower(), urlsplit(str(settings.SLOTWISE_PUBLIC_URL)).netloc.lower()}
    return origin != "null" and netloc in ours


def form_consent(request: HttpRequest) -> str | None:
    """The `consent` field of the page's form (the caller checked the body is FORM); None when the
    body is not such a form."""
    try:
        fields: dict[str, list[str]] = parse_qs(
            request.body.decode("ascii"), max_num_fields=len(CONSENT_FORM["properties"])
        )
    except ValueError:  # not ASCII (UnicodeDecodeError), or more fields than the form has
        return None
    found = fields.get("consent")
    return found[0] if found else None


def _policy(provider_origin: str) -> str:
    """The site's policy, but with this page's form allowed to post here and be redirected on to
    the provider (browsers check a form's redirects against form-action too)."""
    kept = [d.strip() for d in settings.SLOTWISE_CONTENT_SECURITY_POLICY.split(";") if d.strip()]
    kept = [d for d in kept if not d.startswith("form-action")]
    return "; ".join([*kept, f"form-action 'self' {provider_origin}"])
