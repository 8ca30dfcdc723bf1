"""A host's external calendars: connect (CalDAV with a password; Google and Microsoft through
OAuth), list with their health, disconnect. Organisation key required, except on the OAuth start
and callback, which the consent and the cookie of the browser that opened it authorise. Bookings
then reach each connected calendar."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from ninja import Router
from ninja.params.functions import Query

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue, NotFound
from booking.rest import replies as r
from booking.rest.consent_page import CONSENT_FORM, FORM, consent_page, form_consent, sent_from_the_page
from booking.rest.presenters import respond
from booking.rest.problems import problem
from booking.rest.schemas import CalendarIn, shown
from providers import connect, consents, resilience, secrets
from providers.addresses import url_problem
from providers.base import ProviderError
from providers.caldav import CalDavProvider, in_our_words
from providers.models import CalendarAccount

router = Router(tags=["calendars"])
PROVIDERS = ("caldav",)


def calendar_json(account: CalendarAccount) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "hostId": str(account.host_id),
        "provider": account.provider,
        "url": account.url,
        "username": account.username,
        "connectedAt": account.created_at.isoformat(),
        "status": "reconnect_required" if account.auth_failed_at else "connected",
        "health": resilience.health(str(account.id)).as_json(),
    }


@router.post(
    "/hosts/{host_id}/calendars", response={201: r.CalendarReply, **r.problems(400, 401, 404, 413, 422)}, by_alias=True
)
def connect_calendar(request: HttpRequest, host_id: UUID, payload: CalendarIn) -> HttpResponse:
    host = get_app().host(request.auth, host_id)
    if payload.provider not in PROVIDERS:
        raise InvalidValue.single("provider", "must be caldav (Google and Microsoft connect through OAuth)")
    if problem := url_problem(payload.url):  # the connection is checked again, on the address it reaches
        raise InvalidValue.single("url", problem)
    try:
        CalDavProvider(payload.url, payload.username, payload.password).verify()
    except ProviderError as error:
        raise InvalidValue.single("url", f"the calendar could not be used: {in_our_words(error)}") from None
    account = CalendarAccount.objects.create(
        organisation_id=request.auth,
        host_id=host.id,
        provider=payload.provider,
        url=payload.url,
        username=payload.username,
        secret=secrets.seal({"password": payload.password}),
    )
    return respond(calendar_json(account), 201)


@router.get(
    "/hosts/{host_id}/calendars/{provider}/connect",
    response={200: r.ConsentReply, **r.problems(401, 404, 422)},
    by_alias=True,
)
def start_connecting(
    request: HttpRequest,
    host_id: UUID,
    provider: Annotated[str, shown(enum=list(connect.OAUTH_PROVIDERS))],
    returnTo: str | None = Query(  # noqa: N803 - wire name
        None,
        description="where to send the browser afterwards: a URL on an origin SLOTWISE_OAUTH_RETURN_ORIGINS allows",
    ),
) -> HttpResponse:
    """A link for the host's browser (to /api/v1/calendars/oauth/start, a page whose one button
    leads on to the provider's consent page). The provider then sends the browser to
    /api/v1/calendars/oauth/callback, which connects the calendar and, when `returnTo` was given
    (on an allowed origin), sends the browser on there with `calendarId`."""
    host = get_app().host(request.auth, host_id)
    consent = connect.authorization(request.auth, host.id, provider, returnTo)
    return respond({"authorizationUrl": consent.url, "expiresAt": consent.expires_at.isoformat()})


@router.get("/calendars/oauth/start", response={200: None, **r.problems(422)}, auth=None)
def show_consent(request: HttpRequest, consent: str | None = None) -> HttpResponse:
    """The consent link's page (text/html): one button, which posts the consent back here. Opening
    the link binds nothing, so a mail or chat scanner that fetches it uses nothing up."""
    return consent_page(connect.landing(consent))


@router.post(
    "/calendars/oauth/start",
    response={302: None, **r.problems(403, 415, 422)},
    auth=None,
    openapi_extra={"requestBody": {"required": True, "content": {FORM: {"schema": CONSENT_FORM}}}},
)
def open_consent(request: HttpRequest) -> HttpResponse:
    """The page's button (an HTML form, application/x-www-form-urlencoded): the browser that presses
    it is bound to the consent (an HttpOnly cookie) and sent on to the provider. Only the first
    browser to press it may use the consent, and only from the page itself (403 from a page elsewhere)."""
    if not sent_from_the_page(request):
        return problem("forbidden", "the consent form is sent from its own page only")
    if request.content_type != FORM:  # nothing else is parsed (a multipart parser could fail on it)
        return problem("unsupported_media_type", f"send the start page's form ({FORM})")
    opened = connect.open_consent(form_consent(request), request.COOKIES.get(browser_cookie()))
    response = HttpResponseRedirect(opened.url)
    response.set_cookie(
        browser_cookie(),
        opened.browser,
        max_age=consents.STATE_SECONDS,
        path="/",
        secure=_over_tls(),
        httponly=True,
        samesite="Lax",  # sent on the provider's top-level redirect back to the callback
    )
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/calendars/oauth/callback",
    response={201: r.CalendarReply, 302: None, **r.problems(404, 422)},
    by_alias=True,
    auth=None,
)
def finish_connecting(
    request: HttpRequest, code: str | None = None, state: str | None = None, error: str | None = None
) -> HttpResponse:
    """Where the provider sends the host back; the signed `state`, with the cookie of the browser
    that opened the consent, stands for the organisation key."""
    connected = connect.finish(code, state, error, request.COOKIES.get(browser_cookie()))
    if connected.return_to:
        return HttpResponseRedirect(_with_query(connected.return_to, calendarId=str(connected.account.id)))
    return respond(calendar_json(connected.account), 201)


def browser_cookie() -> str:
    """The consent cookie's name: `__Host-` (Secure, whole host, no Domain) whenever served over TLS."""
    return f"{'__Host-' if _over_tls() else ''}slotwise-oauth"


def _over_tls() -> bool:
    return str(settings.SLOTWISE_PUBLIC_URL).startswith("https://")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@router.get("/hosts/{host_id}/calendars", response={200: r.CalendarList, **r.problems(401, 404)}, by_alias=True)
def list_calendars(request: HttpRequest, host_id: UUID) -> HttpResponse:
    host = get_app().host(request.auth, host_id)
    accounts = CalendarAccount.objects.filter(host_id=host.id, disconnected_at__isnull=True).order_by("created_at")
    return respond([calendar_json(a) for a in accounts])


@router.delete("/hosts/{host_id}/calendars/{calendar_id}", response={204: None, **r.problems(401, 404)})
def disconnect_calendar(request: HttpRequest, host_id: UUID, calendar_id: UUID) -> HttpResponse:
    host = get_app().host(request.auth, host_id)
    gone = CalendarAccount.objects.filter(id=calendar_id, host_id=host.id, disconnected_at__isnull=True).update(
        disconnected_at=timezone.now()
    )
    if not gone:
        raise NotFound("no such calendar", "calendarId")
    return HttpResponse(status=204)
