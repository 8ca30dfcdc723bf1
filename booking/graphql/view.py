"""POST/GET /graphql, by the GraphQL-over-HTTP spec, guarded before anything runs.

In order: the HTTP request must be well formed (else 400); a key, when sent, must be valid
(else 401); the document comes from the request or from the persisted queries; it must be
small enough, parse, stay under the fragment-spread and expanded-field limits (before any
work that grows with the expanded document), validate (introspection off unless enabled),
and stay under the depth, alias and cost limits; then it runs with batching data loaders and
timed resolvers.

Status codes: a request that is not a GraphQL request at all is 400. For one that is, with
`Accept: application/graphql-response+json` a response without `data` is 400 (4xx for auth);
with plain `application/json` (the legacy default) it is 200 and the errors say why. A read
refused because too many reads already wait for the views is 503 with Retry-After whatever
the media type, as in REST. Every error carries `extensions.code`; every measured response
reports its cost in `extensions`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from graphene.validation import DisableIntrospection
from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)

from booking import json_body
from booking.auth import InvalidKey, optional_organisation
from booking.domain.errors import DomainError
from booking.graphql import persisted
from booking.graphql.context import Context
from booking.graphql.cost import Measure, measure
from booking.graphql.errors import from_domain
from booking.graphql.execution import BatchingExecutionContext
from booking.graphql.expansion import expansion
from booking.graphql.schema import schema
from booking.graphql.throttle import check_operation
from booking.graphql.timing import time_resolvers
from booking.observability.metrics import GRAPHQL_COST
from booking.throttle import RateLimited

log = logging.getLogger("slotwise.graphql")
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_documents = persisted.DocumentCache()
SHA256 = re.compile(r"[0-9a-f]{64}")  # as persisted.sha256 writes it, and nothing else reaches a lookup
time_resolvers(schema.graphql_schema)


class RequestError(Exception):
    """Refuses the whole request. `status` is used as is when `document_level` is False."""

    def __init__(self, code: str, message: str, status: int = 400, document_level: bool = True, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.document_level = code, message, status, document_level
        self.extra = extra

    def formatted(self) -> dict[str, Any]:
        extensions = {k: v for k, v in self.extra.items() if k != "locations"}
        found: dict[str, Any] = {"message": self.message}
        if self.extra.get("locations"):
            found["locations"] = self.extra["locations"]
        found["extensions"] = {"code": self.code, **extensions}
        return found


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        media = _media_type(request)
        try:
            if request.method not in ("GET", "POST"):
                raise RequestError("method_not_allowed", "GraphQL is served over GET and POST", 405, False)
            params = _params(request)
            context = _context(request)
            prepared = _prepare(params, request.method)
            variables = params.get("variables")
            measured = _limits(prepared, variables)
            check_operation(
                request, schema.graphql_schema, prepared.operation, prepared.fragments, variables, context.organisation
            )
            result = execute(
                schema.graphql_schema,
                prepared.document,
                context_value=context,
                variable_values=variables,
                operation_name=params.get("operationName"),
                execution_context_class=BatchingExecutionContext,
            )
            if not isinstance(result, ExecutionResult):  # no resolver here is async: a fault of ours, answered 500
                raise TypeError("an async resolver in the synchronous schema")
        except RateLimited as limited:  # the REST endpoints' budgets: 429 whichever the media type
            return _rate_limited(limited, media)
        except RequestError as refused:
            status = refused.status if not refused.document_level or media == GRAPHQL_RESPONSE else 200
            response = _respond({"errors": [refused.formatted()]}, status, media)
            if refused.status == 405:
                response["Allow"] = "POST" if request.method == "GET" else "GET, POST"
            return response
        except Exception:  # a fault of ours, not of the request: logged, and no details leave
            log.exception("graphql request failed")
            failed = RequestError("internal_error", "internal error", 500, document_level=False)
            return _respond({"errors": [failed.formatted()]}, 500, media)
        GRAPHQL_COST.observe(measured.cost)
        cost = {"cost": {"requested": measured.cost, "maximum": settings.SLOTWISE_GRAPHQL_MAX_COST}}
        errors = [_format(e) for e in result.errors or ()]
        busy = [e for e in errors if e.get("extensions", {}).get("code") == "too_many_waiting"]
        if busy:  # load shed: the whole request is refused, as REST's is, so the client retries later
            response = _respond({"errors": busy[:1], "extensions": cost}, 503, media)
            response["Retry-After"] = str(busy[0]["extensions"]["retryAfter"])
            return response
        if result.data is None and errors and not any(e.get("path") for e in errors):
            for e in errors:  # variables that do not fit their types: nothing ran
                e.setdefault("extensions", {}).setdefault("code", "invalid_variables")
            return _respond({"errors": errors, "extensions": cost}, 400 if media == GRAPHQL_RESPONSE else 200, media)
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        body["extensions"] = cost
        return _respond(body, 200, media)


def _rate_limited(limited: RateLimited, media: str) -> HttpResponse:
    refused = RequestError("rate_limited", limited.message, 429, False, retryAfter=limited.retry_after)
    response = _respond({"errors": [refused.formatted()]}, 429, media)
    response["Retry-After"] = str(limited.retry_after)
    return response


def _media_type(request: HttpRequest) -> str:
    accept = request.headers.get("Accept", "")
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON


def _respond(body: dict[str, Any], status: int, media: str) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, separators=(",", ":"), default=str), status=status, content_type=f"{media}; charset=utf-8"
    )


def _params(request: HttpRequest) -> dict[str, Any]:
    """The GraphQL-over-HTTP parameters: query, operationName, variables, extensions."""
    if request.method == "GET":
        raw: dict[str, Any] = {k: request.GET.get(k) for k in ("query", "operationName", "variables", "extensions")}
        for name in ("variables", "extensions"):
            if raw[name] is not None:
                raw[name] = _json(json_body.parsed, raw[name], name)
    else:
        raw = _json(json_body.read, request)
        if not isinstance(raw, dict):
            raise RequestError("bad_request", "the body must be a JSON object", 400, False)
    checks = (("query", str), ("operationName", str), ("variables", dict), ("extensions", dict))
    for name, kind in checks:
        if raw.get(name) is not None and not isinstance(raw[name], kind):
            wanted = "a string" if kind is str else "an object"
            raise RequestError("bad_request", f"{name} must be {wanted}", 400, False)
        if kind is str and raw.get(name) is not None and not _unicode(raw[name]):
            raise RequestError(
                "bad_request", f"{name} holds a lone surrogate (\\ud800-\\udfff), which is no text", 400, False
            )
    return raw


def _unicode(text: str) -> bool:
    """Whether `text` is Unicode text: JSON's \\u escapes can spell half a surrogate pair alone."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json(read: Callable[..., Any], *args: Any) -> Any:
    """What `read` parses (booking.json_body), its refusal answered as this request's."""
    try:
        return read(*args)
    except json_body.BodyRefused as refused:
        raise RequestError(refused.code, refused.detail, refused.status, False) from None


def _context(request: HttpRequest) -> Context:
    try:
        organisation = optional_organisation(request)
    except InvalidKey:
        raise RequestError("unauthorized", "the API key is not valid", 401, False) from None
    return Context(request, organisation, request.headers.get("X-Cancel-Token") or None)


def _document_text(params: dict[str, Any], digest: str | None, persisted_only: bool) -> tuple[str, str]:
    """The document and its sha256, from the request or the persisted queries."""
    query: str | None = params.get("query")
    if digest is not None and query is None:
        found = persisted.allowed(digest) or (None if persisted_only else persisted.remembered(digest))
        if found is None:
            raise RequestError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return found, digest
    if query is None:
        raise RequestError("bad_request", "a query (or extensions.persistedQuery) is required", 400, False)
    if len(query.encode()) > settings.SLOTWISE_GRAPHQL_MAX_DOCUMENT_BYTES:
        limit = settings.SLOTWISE_GRAPHQL_MAX_DOCUMENT_BYTES // 1024
        raise RequestError("document_too_large", f"documents are limited to {limit} KB")
    if digest is not None and persisted.sha256(query) != digest:
        raise RequestError("persisted_query_hash_mismatch", "sha256Hash is not the hash of the query")
    registering = digest is not None
    digest = persisted.sha256(query)
    if persisted_only:
        if persisted.allowed(digest) is None:
            raise RequestError("persisted_query_required", "only registered (persisted) queries are accepted here")
    elif registering:
        persisted.remember(digest, query)
    return query, digest


def _apq_digest(params: dict[str, Any]) -> str | None:
    apq = (params.get("extensions") or {}).get("persistedQuery")
    if apq is None:
        return None
    digest = apq.get("sha256Hash") if isinstance(apq, dict) else None
    if (
        not isinstance(apq, dict)
        or apq.get("version", 1) != 1
        or not isinstance(digest, str)
        or not SHA256.fullmatch(digest)
    ):
        raise RequestError(
            "bad_request",
            "extensions.persistedQuery needs version 1 and a sha256Hash (64 lowercase hex digits)",
            400,
            False,
        )
    return digest


def _prepare(params: dict[str, Any], method: str) -> Prepared:
    introspection = bool(settings.SLOTWISE_GRAPHQL_INTROSPECTION)
    persisted_only = bool(settings.SLOTWISE_GRAPHQL_PERSISTED_ONLY)
    mode = f"{int(introspection)}{int(persisted_only)}"  # a document is cached for the mode that accepted it
    digest = _apq_digest(params)
    document = _documents.get(f"{digest}:{mode}") if digest and params.get("query") is None else None
    if document is None:
        query, digest = _document_text(params, digest, persisted_only)
        document = _documents.get(f"{digest}:{mode}")
    if document is None:
        try:
            document = parse(query)
        except GraphQLError as error:
            raise RequestError("graphql_parse_failed", error.message, locations=_locations(error)) from None
        _expansion_limits(document)
        rules = list(specified_rules) if introspection else [*specified_rules, DisableIntrospection]
        invalid = validate(schema.graphql_schema, document, rules, max_errors=20)
        if invalid:
            first = invalid[0]
            raise RequestError(
                "graphql_validation_failed",
                "; ".join(e.message for e in invalid),
                locations=_locations(first),
            )
        _documents.put(f"{digest}:{mode}", document)
    operation = get_operation_ast(document, params.get("operationName"))
    if operation is None:
        raise RequestError("operation_not_found", "name the operation to run (operationName)")
    if method == "GET" and operation.operation != OperationType.QUERY:
        raise RequestError("method_not_allowed", "mutations are sent with POST", 405, False)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return Prepared(document, operation, fragments)


def _expansion_limits(document: DocumentNode) -> None:
    """Refuses a document whose fragments would expand it past the limits, before validation
    (whose rules, like our cost walk, work on the expanded shape)."""
    most_spreads, most_fields = settings.SLOTWISE_GRAPHQL_MAX_FRAGMENT_SPREADS, settings.SLOTWISE_GRAPHQL_MAX_FIELDS
    found = expansion(document, most_fields)
    if found.spreads > most_spreads:
        message = f"{found.spreads} fragment spreads is over {most_spreads}"
        raise RequestError(
            "too_many_fragment_spreads", message, fragmentSpreads=found.spreads, maxFragmentSpreads=most_spreads
        )
    if found.fields > most_fields:
        message = f"the document expands to more than {most_fields} fields"
        raise RequestError("too_many_fields", message, maxFields=most_fields)


def _limits(prepared: Prepared, variables: dict[str, Any] | None) -> Measure:
    """Refuses a document over any limit; every refusal carries the document's measure."""
    m = measure(schema.graphql_schema, prepared.operation, prepared.fragments, variables)
    measured: dict[str, Any] = {"depth": m.depth, "aliases": m.aliases, "cost": m.cost}
    most_depth, most_aliases = settings.SLOTWISE_GRAPHQL_MAX_DEPTH, settings.SLOTWISE_GRAPHQL_MAX_ALIASES
    most_cost = settings.SLOTWISE_GRAPHQL_MAX_COST
    if m.depth > most_depth:
        raise RequestError("query_too_deep", f"depth {m.depth} is over {most_depth}", maxDepth=most_depth, **measured)
    if m.aliases > most_aliases:
        message = f"{m.aliases} aliases is over {most_aliases}"
        raise RequestError("too_many_aliases", message, maxAliases=most_aliases, **measured)
    if m.cost > most_cost:
        raise RequestError("query_too_costly", f"cost {m.cost} is over {most_cost}", maxCost=most_cost, **measured)
    return m


def _locations(error: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or ()]


def _format(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, DomainError):
        domain = from_domain(original)
        formatted: dict[str, Any] = {"message": domain.message, "extensions": domain.extensions}
    elif original is None or isinstance(original, GraphQLError):
        formatted = dict(error.formatted)
    else:
        log.error("resolver failed", exc_info=original)
        formatted = {"message": "internal error", "extensions": {"code": "internal_error"}}
    if error.path:
        formatted["path"] = list(error.path)
    if error.locations:
        formatted["locations"] = _locations(error)
    return formatted
