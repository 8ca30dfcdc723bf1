"""Microsoft Graph v1.0 calendar endpoints and the Microsoft identity platform's OAuth endpoints:
the subset Slotwise uses, as documented.

Graph chooses event ids (long base64url strings ending in `=`). A create carrying a
`transactionId` that was used before answers the event it made when the request is the same,
and 400 ErrorDuplicateTransactionId when it is not (or that event is gone). Events are found by
single-value extended property with `$filter=singleValueExtendedProperties/Any(...)`. Times are
answered in UTC unless `Prefer: outlook.timezone="…"` names a zone. getSchedule reads the default
calendar. Errors have Graph's shape: {"error": {"code", "message", "innerError"}}.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime, timedelta
from secrets import token_hex
from typing import Any
from uuid import uuid4

from providers.oauth import SCOPES
from tests.integration.provider_servers.base import ContractServer
from tests.integration.provider_servers.graph_values import (
    SHOW_AS,
    accepted,
    body_object,
    changed,
    graph_id,
    instant,
    matches,
    need,
    prefer_zone,
    shown_time,
    slot,
    stamp,
    times,
    token_error,
    view,
    writable,
)
from tests.integration.provider_servers.messages import Answer, Refused, Request
from tests.integration.provider_servers.oauth import AuthorizationServer, Grant

READ = frozenset({"Calendars.Read", "Calendars.ReadWrite"})
WRITE = frozenset({"Calendars.ReadWrite"})
PROFILE = frozenset({"User.Read"})
FAULTS = {
    400: ("BadRequest", "Bad request."),
    404: ("ErrorItemNotFound", "The specified object was not found in the store."),
    429: ("TooManyRequests", "Too many requests. Please retry after the time in Retry-After."),
    500: ("InternalServerError", "An internal server error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response."),
}
NOT_FOUND = ("ErrorItemNotFound", "The specified object was not found in the store.")


# The Microsoft identity platform's token endpoint on PKCE (RFC 7636): a 400 `invalid_grant` with its
# AADSTS code. A verifier sent for a code asked for without a challenge is not documented as refused.
PKCE_REFUSALS = {
    "missing": (
        50148,
        "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
    ),
    "mismatch": (501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
}


def pkce_error(reason: str) -> dict[str, Any] | None:
    if reason not in PKCE_REFUSALS:
        return None
    code, description = PKCE_REFUSALS[reason]
    return {
        **token_error("invalid_grant", description),
        "error_description": f"AADSTS{code}: {description}",
        "error_codes": [code],
    }


class MicrosoftServer(ContractServer):
    provider = "microsoft"
    authorize_path = "/common/oauth2/v2.0/authorize"
    token_path = "/common/oauth2/v2.0/token"
    api_prefix = "/v1.0"

    def __init__(
        self, mailbox: str = "ada@contoso.example", redirect_uris: list[str] | None = None, lifetime: int = 3600
    ):
        super().__init__(
            AuthorizationServer(
                user=mailbox,
                default_scope=" ".join(SCOPES["microsoft"]),
                offline=lambda _, scopes: "offline_access" in scopes,
                error_body=token_error,
                pkce_error=pkce_error,
                rotates_refresh_tokens=True,  # a refresh answers a new refresh token; the old one still works
                lifetime=lifetime,
                redirect_uris=redirect_uris,
            )
        )
        self.mailbox = mailbox
        self.user_id = str(uuid4())
        self.default_calendar = graph_id()
        self._calendars: dict[str, dict[str, dict[str, Any]]] = {self.default_calendar: {}}
        self._names = {self.default_calendar: "Calendar"}
        self._transactions: dict[str, tuple[str, str]] = {}  # transactionId -> (event id, the create request)

    def add_calendar(self, name: str) -> str:
        """A second calendar of the mailbox; its id."""
        with self.lock:
            calendar_id = graph_id()
            self._calendars[calendar_id], self._names[calendar_id] = {}, name
            return calendar_id

    def events(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """The calendar's events as stored: times as sent, extended properties and transactionId included."""
        with self.lock:
            return copy.deepcopy(list(self._calendars[calendar_id or self.default_calendar].values()))

    # --- the provider's shapes -------------------------------------------------------------------

    def error(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Answer:
        inner = {"date": stamp(), "request-id": str(uuid4()), "client-request-id": str(uuid4())}
        return Answer(status, {"error": {"code": reason, "message": message, "innerError": inner}}, headers or {})

    def unauthorized(self) -> Refused:
        www = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
        return Refused(
            401,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
            {"WWW-Authenticate": www},
        )

    def fault_reason(self, status: int) -> tuple[str, str]:
        return FAULTS.get(status, FAULTS[500] if status >= 500 else FAULTS[400])

    # --- the API ---------------------------------------------------------------------------------

    def api(self, request: Request, grant: Grant) -> Answer:
        parts = request.segments[1:]
        lowered, method = [part.lower() for part in parts], request.method
        if lowered == ["me"] and method == "GET":
            need(grant, PROFILE)
            me = {"id": self.user_id, "displayName": "Ada", "mail": self.mailbox, "userPrincipalName": self.mailbox}
            return Answer(200, {"@odata.context": f"{self.api_url}/$metadata#users/$entity", **me})
        if lowered == ["me", "calendar", "getschedule"] and method == "POST":
            need(grant, READ)
            return self._schedules(request)
        if lowered == ["me", "calendars"] and method == "GET":
            need(grant, READ)
            return Answer(
                200,
                {
                    "value": [
                        {
                            "id": cid,
                            "name": self._names[cid],
                            "isDefaultCalendar": cid == self.default_calendar,
                            "canEdit": True,
                        }
                        for cid in self._calendars
                    ]
                },
            )
        calendar_id = self._calendar_of(parts, lowered)
        if calendar_id is not None and method in ("GET", "POST"):
            need(grant, READ if method == "GET" else WRITE)
            return self._list(calendar_id, request) if method == "GET" else self._create(calendar_id, request)
        if len(parts) == 3 and lowered[:2] == ["me", "events"] and method in ("GET", "PATCH", "DELETE"):
            need(grant, READ if method == "GET" else WRITE)
            return {"GET": self._get, "PATCH": self._update, "DELETE": self._delete}[method](parts[2], request)
        raise Refused(400, "BadRequest", f"Resource not found for the segment '{parts[-1] if parts else ''}'.")

    def _calendar_of(self, parts: list[str], lowered: list[str]) -> str | None:
        if lowered == ["me", "calendar", "events"]:
            return self.default_calendar
        if len(parts) == 4 and lowered[:2] == ["me", "calendars"] and lowered[3] == "events":
            if parts[2] not in self._calendars:
                raise Refused(404, *NOT_FOUND)
            return parts[2]
        return None

    def _create(self, calendar_id: str, request: Request) -> Answer:
        body = accepted(request.json())
        transaction, fingerprint = body.get("transactionId"), json.dumps([calendar_id, body], sort_keys=True)
        if transaction and transaction in self._transactions:
            event_id, first = self._transactions[transaction]
            made = self._calendars[calendar_id].get(event_id)
            if made is not None and first == fingerprint:  # the same create again: the event it made
                return Answer(201, view(made, request))
            raise Refused(
                400,
                "ErrorDuplicateTransactionId",
                "Your request can't be completed. The TransactionId "
                "specified in the request has already been used to create a different event.",
            )
        now = stamp()
        event: dict[str, Any] = {
            "id": graph_id(),
            "createdDateTime": now,
            "iCalUId": f"040000008200E00074C5B7101A82E008{token_hex(28).upper()}",
            "subject": "",
            "body": {"contentType": "text", "content": ""},
            "showAs": "busy",
            "isCancelled": False,
            "type": "singleInstance",
            "transactionId": transaction,
            "singleValueExtendedProperties": [],
            **writable(body),
        }
        times(event)
        self._calendars[calendar_id][event["id"]] = changed(event)
        if transaction:
            self._transactions[transaction] = (event["id"], fingerprint)
        return Answer(201, view(event, request))

    def _update(self, event_id: str, request: Request) -> Answer:
        calendar, stored = self._locate(event_id)
        body = writable(accepted(request.json()))
        properties = {
            p["id"].lower(): p
            for p in stored["singleValueExtendedProperties"] + body.get("singleValueExtendedProperties", [])
        }
        event = {**stored, **body, "singleValueExtendedProperties": list(properties.values())}
        times(event)
        calendar[event_id] = changed(event)
        return Answer(200, view(event, request))

    def _delete(self, event_id: str, request: Request) -> Answer:
        calendar, _ = self._locate(event_id)
        del calendar[event_id]  # to Deleted Items: no longer in the calendar
        return Answer(204)

    def _get(self, event_id: str, request: Request) -> Answer:
        return Answer(200, view(self._locate(event_id)[1], request))

    def _list(self, calendar_id: str, request: Request) -> Answer:
        events = list(self._calendars[calendar_id].values())
        if "$filter" in request.query:
            events = [e for e in events if matches(e, request.query["$filter"])]
        skip, top = int(request.query.get("$skip", 0)), int(request.query.get("$top", 10))
        answer: dict[str, Any] = {"value": [view(e, request) for e in events[skip : skip + top]]}
        if len(events) > skip + top:
            answer["@odata.nextLink"] = (
                f"{self.api_url}{request.path[len(self.api_prefix) :]}?$skip={skip + top}&$top={top}"
            )
        return Answer(200, answer)

    def _schedules(self, request: Request) -> Answer:
        body = body_object(request.json())
        schedules = body.get("schedules")
        if not isinstance(schedules, list) or not schedules:
            raise Refused(400, "ErrorInvalidParameter", "schedules is required.")
        start, end = instant(body.get("startTime"), "startTime"), instant(body.get("endTime"), "endTime")
        interval = int(body.get("availabilityViewInterval") or 30)
        if not 5 <= interval <= 1440 or end <= start:
            raise Refused(400, "ErrorInvalidParameter", "The availability view interval or the time window is invalid.")
        return Answer(200, {"value": [self._schedule(str(s), start, end, interval, request) for s in schedules]})

    def _schedule(
        self, schedule: str, start: datetime, end: datetime, interval: int, request: Request
    ) -> dict[str, Any]:
        if schedule.lower() != self.mailbox.lower():
            error = {
                "message": "The specified mailbox could not be found.",
                "responseCode": "ErrorMailRecipientNotFound",
            }
            return {"scheduleId": schedule, "availabilityView": "", "error": error}
        zone, name = prefer_zone(request)
        busy = sorted(
            (
                (*times(e), e)
                for e in self._calendars[self.default_calendar].values()
                if e["showAs"] in SHOW_AS and e["showAs"] != "free"
            ),
            key=lambda found: found[:2],
        )
        items = [
            {
                "isPrivate": False,
                "status": e["showAs"],
                "subject": e["subject"],
                "location": "",
                "isMeeting": False,
                "isRecurring": False,
                "isException": False,
                "isReminderSet": False,
                "start": shown_time(s, zone, name),
                "end": shown_time(f, zone, name),
            }
            for s, f, e in busy
            if s < end and f > start
        ]
        slots = math.ceil((end - start) / timedelta(minutes=interval))
        view = "".join(
            slot(items, start + timedelta(minutes=interval * n), timedelta(minutes=interval)) for n in range(slots)
        )
        return {"scheduleId": schedule, "availabilityView": view, "scheduleItems": items}

    def _locate(self, event_id: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        for calendar in self._calendars.values():
            if event_id in calendar:
                return calendar, calendar[event_id]
        raise Refused(404, *NOT_FOUND)
