"""Google Calendar API v3 and Google's OAuth endpoints: the subset Slotwise uses, as documented.

Events: an insert may choose the id (base32hex, 5-1024 characters) and answers 409 `duplicate`
when the id is taken; an update (PUT) replaces the writable fields; a delete leaves the event
behind as `cancelled` (its id stays taken) and answers 410 `deleted` the second time.
freeBusy merges the busy periods of live, opaque events, clipped to the window; an unknown
calendar is an `errors` entry in the answer, not an HTTP error. Errors have Google's shape:
{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}}.
"""

from __future__ import annotations

import copy
import re
from secrets import token_hex
from typing import Any

from providers.oauth import SCOPES
from tests.integration.provider_servers.base import ContractServer
from tests.integration.provider_servers.google_values import (
    body_object,
    event_in,
    merged,
    need,
    rfc3339,
    shown_time,
    stamp,
    times,
    writable,
    zone_named,
)
from tests.integration.provider_servers.messages import Answer, Refused, Request
from tests.integration.provider_servers.oauth import AuthorizationServer, Grant

AUTH = "https://www.googleapis.com/auth/"
EVENT_SCOPES = frozenset({f"{AUTH}calendar", f"{AUTH}calendar.events"})
FREE_BUSY_SCOPES = EVENT_SCOPES | {
    f"{AUTH}calendar.readonly",
    f"{AUTH}calendar.freebusy",
    f"{AUTH}calendar.events.freebusy",
}
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
USAGE_LIMITS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"})
FAULTS = {
    400: ("badRequest", "Bad Request"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    503: ("backendError", "Service Unavailable"),
}


# Google's token endpoint on PKCE (RFC 7636): each is a 400 `invalid_grant`
PKCE_REFUSALS = {
    "missing": "Missing code verifier.",
    "mismatch": "Invalid code verifier.",
    "unneeded": "code_verifier or verifier is not needed.",  # a verifier for a code asked for without a challenge
}


def pkce_error(reason: str) -> dict[str, Any]:
    return {"error": "invalid_grant", "error_description": PKCE_REFUSALS[reason]}


class GoogleServer(ContractServer):
    provider = "google"
    authorize_path = "/o/oauth2/v2/auth"
    token_path = "/token"
    api_prefix = "/calendar/v3"

    def __init__(self, user: str = "ada@example.com", redirect_uris: list[str] | None = None, lifetime: int = 3599):
        super().__init__(
            AuthorizationServer(
                user=user,
                default_scope=" ".join(SCOPES["google"]),
                offline=lambda query, _: query.get("access_type") == "offline",
                error_body=lambda error, description: {"error": error, "error_description": description},
                pkce_error=pkce_error,
                rotates_refresh_tokens=False,
                lifetime=lifetime,
                redirect_uris=redirect_uris,
            )
        )
        self.user = user
        self._calendars: dict[str, dict[str, dict[str, Any]]] = {user: {}}  # the primary calendar's id is the user
        self._etag = 0

    def add_calendar(self, calendar_id: str) -> None:
        with self.lock:
            self._calendars.setdefault(calendar_id, {})

    def events(self, calendar_id: str = "primary") -> list[dict[str, Any]]:
        """Every stored event of the calendar, cancelled ones included (Google keeps them), as stored."""
        with self.lock:
            return copy.deepcopy(list(self._calendars[self._resolve(calendar_id)].values()))

    # --- the provider's shapes -------------------------------------------------------------------

    def error(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Answer:
        domain = "usageLimits" if reason in USAGE_LIMITS else "global"
        detail = {"domain": domain, "reason": reason, "message": message}
        return Answer(status, {"error": {"code": status, "message": message, "errors": [detail]}}, headers or {})

    def unauthorized(self) -> Refused:
        www = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        return Refused(401, "authError", "Invalid Credentials", {"WWW-Authenticate": www})

    def fault_reason(self, status: int) -> tuple[str, str]:
        return FAULTS.get(status, ("backendError", "Backend Error") if status >= 500 else ("badRequest", "Bad Request"))

    # --- the API ---------------------------------------------------------------------------------

    def api(self, request: Request, grant: Grant) -> Answer:
        parts, method = request.segments[2:], request.method
        if parts == ["freeBusy"] and method == "POST":
            need(grant, FREE_BUSY_SCOPES)
            return self._free_busy(request.json())
        if parts == ["users", "me", "calendarList"] and method == "GET":
            items = [
                {"id": cid, "summary": cid, "primary": cid == self.user, "accessRole": "owner"}
                for cid in self._calendars
            ]
            return Answer(200, {"kind": "calendar#calendarList", "items": items})
        if len(parts) in (3, 4) and parts[0] == "calendars" and parts[2] == "events":
            need(grant, EVENT_SCOPES)
            calendar = self._calendar(parts[1])
            if len(parts) == 3 and method == "POST":
                return self._insert(calendar, request.json())
            if len(parts) == 3 and method == "GET":
                return self._list(calendar, request.query)
            if len(parts) == 4 and method in ("GET", "PUT", "DELETE"):
                return {"GET": self._get, "PUT": self._update, "DELETE": self._delete}[method](
                    calendar, parts[3], request
                )
        raise Refused(404, "notFound", "Not Found")

    def _insert(self, calendar: dict[str, dict[str, Any]], body: Any) -> Answer:
        body = body_object(body)
        event_id = str(body.get("id") or token_hex(16))
        if not EVENT_ID.match(event_id):
            raise Refused(400, "invalid", "Invalid resource id value.")
        if event_id in calendar:  # a deleted event keeps its id
            raise Refused(409, "duplicate", "The requested identifier already exists.")
        times(body)
        now = stamp()
        event = {
            "kind": "calendar#event",
            "id": event_id,
            "created": now,
            "status": "confirmed",
            "sequence": 0,
            "iCalUID": body.get("iCalUID") or f"{event_id}@google.com",
            "organizer": {"email": self.user, "self": True},
            "creator": {"email": self.user, "self": True},
        }
        calendar[event_id] = self._stamped({**event, **writable(body)})
        return Answer(200, calendar[event_id])

    def _update(self, calendar: dict[str, dict[str, Any]], event_id: str, request: Request) -> Answer:
        stored, body = event_in(calendar, event_id), body_object(request.json())
        times(body)
        kept = {key: stored[key] for key in ("kind", "id", "created", "iCalUID", "organizer", "creator")}
        calendar[event_id] = self._stamped(
            {**kept, "status": "confirmed", "sequence": stored["sequence"], **writable(body)}
        )
        return Answer(200, calendar[event_id])

    def _delete(self, calendar: dict[str, dict[str, Any]], event_id: str, request: Request) -> Answer:
        stored = event_in(calendar, event_id)
        if stored["status"] == "cancelled":
            raise Refused(410, "deleted", "Resource has been deleted")
        calendar[event_id] = self._stamped({**stored, "status": "cancelled"})
        return Answer(204)

    def _get(self, calendar: dict[str, dict[str, Any]], event_id: str, request: Request) -> Answer:
        return Answer(200, event_in(calendar, event_id))

    def _list(self, calendar: dict[str, dict[str, Any]], query: dict[str, str]) -> Answer:
        items = [e for e in calendar.values() if query.get("showDeleted") == "true" or e["status"] != "cancelled"]
        if "iCalUID" in query:
            items = [e for e in items if e["iCalUID"] == query["iCalUID"]]
        return Answer(200, {"kind": "calendar#events", "items": items})

    def _free_busy(self, body: Any) -> Answer:
        body = body_object(body)
        time_min, time_max = rfc3339(body.get("timeMin"), "timeMin"), rfc3339(body.get("timeMax"), "timeMax")
        if time_max <= time_min:
            raise Refused(400, "timeRangeEmpty", "The specified time range is empty.")
        zone = zone_named(body.get("timeZone") or "UTC", "the request")
        answer: dict[str, Any] = {}
        for item in body.get("items") or []:
            calendar_id = str(item.get("id"))
            events = self._calendars.get(self._resolve(calendar_id))
            if events is None:
                answer[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            periods = merged(
                times(e)
                for e in events.values()
                if e["status"] != "cancelled" and e.get("transparency") != "transparent"
            )
            clipped = [(max(s, time_min), min(e, time_max)) for s, e in periods if s < time_max and e > time_min]
            answer[calendar_id] = {
                "busy": [{"start": shown_time(s, zone), "end": shown_time(e, zone)} for s, e in clipped]
            }
        shown = {"timeMin": shown_time(time_min, zone), "timeMax": shown_time(time_max, zone)}
        return Answer(200, {"kind": "calendar#freeBusy", **shown, "calendars": answer})

    def _calendar(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        found = self._calendars.get(self._resolve(calendar_id))
        if found is None:
            raise Refused(404, "notFound", "Not Found")
        return found

    def _resolve(self, calendar_id: str) -> str:
        return self.user if calendar_id == "primary" else calendar_id

    def _stamped(self, event: dict[str, Any]) -> dict[str, Any]:
        self._etag += 1
        return {**event, "etag": f'"{self._etag}"', "updated": stamp()}
