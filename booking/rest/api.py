"""The v1 API object: routers, OpenAPI, and every error rendered as problem+json."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from django import db
from django.http import HttpRequest, HttpResponse
from eventsourcing import persistence as store
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from booking.api_keys import organisation_for
from booking.auth import InvalidKey
from booking.domain.errors import DomainError
from booking.domain.timezones import known_zones
from booking.json_body import BodyRefused
from booking.rest import agenda, bookings, calendars, event_types, hosts, slots, webhooks
from booking.rest.bodies import JsonBodyParser
from booking.rest.problems import PROBLEMS, camel_field, from_domain, problem
from booking.rest.reads import ViewBehind
from booking.rest.schemas import ZONE, no_null
from booking.throttle import RateLimited
from projections.read_waits import TooManyWaiting

log = logging.getLogger("slotwise.api")
# What a database that is down, restarting or out of connections raises, through Django, psycopg
# (its pool's timeout too) or the event store
STORE_UNAVAILABLE: tuple[type[Exception], ...] = (
    db.OperationalError,
    db.InterfaceError,
    psycopg.OperationalError,
    store.OperationalError,
    store.InterfaceError,
)


class OrganisationKey(HttpBearer):
    """Authorization: Bearer <key>; the organisation id lands in request.auth."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return organisation_for(token)


class SlotwiseAPI(NinjaAPI):
    """Ninja's OpenAPI, plus what it cannot infer: problem+json bodies and our headers."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    body = content.get("application/json", {}).get("schema", {})
                    if body.get("$ref", "").endswith("/Problem"):
                        content["application/problem+json"] = content.pop("application/json")
                if "requestBody" in operation:  # what the edge refuses before any view reads a body
                    for code in ("length_required", "payload_too_large", "unsupported_media_type"):
                        operation["responses"].setdefault(str(PROBLEMS[code][0]), _problem_response(code))
                for parameter in operation.get("parameters", []):  # a URL cannot carry a null
                    parameter["schema"] = no_null(parameter["schema"])
                operation.setdefault("parameters", []).extend(_headers(path, method))
        schema["components"]["schemas"]["TimeZone"] = {
            "type": "string",
            "enum": sorted(known_zones()),
            "description": "an IANA time zone this server's tz database knows",
        }
        _point_at_zones(schema)
        return schema


def _point_at_zones(node: Any) -> None:
    """Every schema marked as a time zone (booking.rest.schemas.ZONE) becomes a reference to the
    TimeZone component, keeping its description."""
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        if isinstance(child, dict) and child.pop(ZONE, False):
            described = {"description": child["description"]} if "description" in child else {}
            child.clear()
            child.update({"$ref": "#/components/schemas/TimeZone", **described})
        _point_at_zones(child)


def _problem_response(code: str) -> dict[str, Any]:
    return {
        "description": PROBLEMS[code][1],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


KEY = r"^[ -~]{1,255}$"  # booking.bookings checks the same
KEYED_CREATES = ("/api/v1/hosts", "/api/v1/event-types")  # with every booking command, the POSTs that take a key


def _headers(path: str, method: str) -> list[dict[str, Any]]:
    def header(name: str, description: str, pattern: str | None = None) -> dict[str, Any]:
        shape: dict[str, Any] = {"type": "string"} if pattern is None else {"type": "string", "pattern": pattern}
        return {"in": "header", "name": name, "required": False, "schema": shape, "description": description}

    found = []
    if method == "post" and (path in KEYED_CREATES or path.startswith("/api/v1/bookings")):
        found.append(
            header(
                "Idempotency-Key", "1-255 printable characters; a retry returns the first response", r"^[ -~]{1,255}$"
            )
        )
    if method in ("put", "patch"):
        found.append(
            header(
                "If-Match",
                "the ETag (version) this change expects, or *; 412 when stale",
                r'^[ \t]*(?:\*|(?:W/)?"?[0-9]{1,18}"?)[ \t]*$',
            )
        )
    if path.startswith("/api/v1/bookings/") and not path.endswith("/cancel-token/revoke"):
        found.append(header("X-Cancel-Token", "the booking's cancelToken (or use the organisation's key)"))
    return found


api = SlotwiseAPI(
    title="Slotwise API",
    version="1",
    description="Event-sourced booking backend. Errors are RFC 9457 problem+json with a stable `code`.",
    auth=OrganisationKey(),
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=Swagger(settings={"validatorUrl": None}),  # no badge fetched from the validator's site
    parser=JsonBodyParser(),
    urls_namespace="api-v1",
)
for module in (hosts, event_types, slots, bookings, agenda, calendars, webhooks):
    api.add_router("", module.router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return from_domain(exc)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if all(e["loc"][0] == "path" for e in exc.errors):
        return problem("not_found", f"no resource at {request.path}")  # a malformed id names nothing
    errors = [(_field(e["loc"]), e["msg"]) for e in exc.errors]
    return problem("validation_error", "; ".join(f"{f}: {m}" for f, m in errors), errors)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _unauthorized()


@api.exception_handler(InvalidKey)
def bad_key(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _unauthorized()


@api.exception_handler(ViewBehind)
def view_behind(request: HttpRequest, exc: ViewBehind) -> HttpResponse:
    return problem(
        "not_caught_up",
        f"the views have not reached position {exc.position} yet; retry shortly",
        headers={"Retry-After": "1"},
    )


@api.exception_handler(TooManyWaiting)
def too_many_waiting(request: HttpRequest, exc: TooManyWaiting) -> HttpResponse:
    return problem("too_many_waiting", f"{exc}; retry shortly", headers={"Retry-After": str(exc.retry_after)})


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return problem("rate_limited", exc.message, headers={"Retry-After": str(exc.retry_after)})


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BodyRefused):  # ninja wraps what our parser raised
        return problem(exc.__cause__.code, exc.__cause__.detail)
    if exc.status_code == 400:
        return problem("malformed_json", "the request body could not be parsed as JSON")
    if exc.status_code == 403:
        return problem("forbidden", str(exc))
    log.error("unexpected HTTP error from the framework", extra={"status": exc.status_code, "error": str(exc)})
    return problem("internal_error", str(exc))


def store_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database refused, dropped or ran out of connections (this process's pool waited
    SLOTWISE_DB_POOL_TIMEOUT for one): nothing was written, or the write's transaction rolled
    back, so the same request may be sent again (with its Idempotency-Key)."""
    log.warning("database unavailable", extra={"error": repr(exc)})
    return problem(
        "store_unavailable", "the database is unavailable or at capacity; retry shortly", headers={"Retry-After": "1"}
    )


for _unavailable in STORE_UNAVAILABLE:
    api.exception_handler(_unavailable)(store_unavailable)


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem("internal_error", "an unexpected error occurred; it has been logged")


def _unauthorized() -> HttpResponse:
    return problem(
        "unauthorized",
        "send a live organisation key as 'Authorization: Bearer <key>'",
        headers={"WWW-Authenticate": 'Bearer realm="slotwise"'},
    )


def _field(loc: Any) -> str:
    """('body', 'payload', 'attendee', 'email') -> 'attendee.email'; ('query', 'hostId') -> 'hostId'."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return camel_field(out or "body")
