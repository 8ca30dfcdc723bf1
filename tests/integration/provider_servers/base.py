"""What both contract servers share: HTTP on a loopback port, the request log, and injected faults.

A server answers from one thread per connection, under one lock, so each request is atomic as
it is at the provider. Faults are set from the test process while workers in other processes
call the server: `fail_next`, `fail_until_cleared`, `drop_next`, `stall_next`, `clear_faults`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from providers.oauth import SCOPES, OAuthClient, Tokens
from tests.integration.provider_servers.messages import Answer, Refused, Request
from tests.integration.provider_servers.oauth import AuthorizationServer, Grant


@dataclass(frozen=True)
class Logged:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str
    status: int  # 0: the connection was closed without an answer
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    kind: str  # "status" | "drop" | "stall"
    on: str  # "api" | "token"
    method: str | None  # None: any
    left: int | None  # None: until cleared
    status: int = 0
    retry_after: str | None = None
    reason: str | None = None
    delay: float = 0.0


class ContractServer(ThreadingHTTPServer):
    """One provider: its OAuth endpoints (`oauth`) and its API under `api_prefix`, answered by `api`."""

    provider = ""  # "google" | "microsoft"
    authorize_path = ""
    token_path = ""
    api_prefix = ""
    daemon_threads = True
    block_on_close = False

    def __init__(self, oauth: AuthorizationServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.oauth = oauth
        self.lock = threading.RLock()
        self._faults: list[Fault] = []
        self._log: list[Logged] = []
        self._thread: threading.Thread | None = None

    # --- what a provider adds --------------------------------------------------------------------

    def api(self, request: Request, grant: Grant) -> Answer:
        raise NotImplementedError

    def error(self, status: int, reason: str, message: str, headers: dict[str, str] | None = None) -> Answer:
        """An API error in the provider's documented format."""
        raise NotImplementedError

    def unauthorized(self) -> Refused:
        """The refusal of a missing, unknown, expired or revoked access token."""
        raise NotImplementedError

    def fault_reason(self, status: int) -> tuple[str, str]:
        """The reason (or code) and message the provider sends with this status."""
        raise NotImplementedError

    # --- running ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}{self.authorize_path}"

    @property
    def token_url(self) -> str:
        return f"{self.url}{self.token_path}"

    @property
    def api_url(self) -> str:
        return f"{self.url}{self.api_prefix}"

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.oauth.client_secret

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is what some tests are about

    # --- credentials -------------------------------------------------------------------------

    def oauth_client(self, timeout: float = 5) -> OAuthClient:
        """This application's OAuth client, registered at this server."""
        return OAuthClient(
            self.provider,
            self.client_id,
            self.client_secret,
            self.authorize_url,
            self.token_url,
            SCOPES[self.provider],
            timeout,
        )

    def oauth_settings(self) -> dict[str, str]:
        """The SLOTWISE_OAUTH entry pointing at this server."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "authorize_url": self.authorize_url,
            "token_url": self.token_url,
            "api_url": self.api_url,
        }

    def env(self) -> dict[str, str]:
        """The environment a worker process needs to reach this server (booking/settings/providers.py)."""
        prefix = f"SLOTWISE_{self.provider.upper()}_"
        return {f"{prefix}{name.upper()}": value for name, value in self.oauth_settings().items()}

    def grant_tokens(self, scope: str | None = None) -> Tokens:
        """Tokens as if the user had just consented, without the browser round trip."""
        with self.lock:
            return self.oauth.grant_tokens(scope)

    def expire_all_tokens(self) -> None:
        """Every access token issued so far is expired; refresh tokens still work."""
        with self.lock:
            self.oauth.expire_all()

    def revoke(self, refresh_token: str) -> None:
        """The user revoked access: the grant's refresh and access tokens stop working."""
        with self.lock:
            self.oauth.revoke(refresh_token)

    def deny_next_consent(self) -> None:
        with self.lock:
            self.oauth.deny_next = True

    # --- faults --------------------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int,
        retry_after: float | str | None = None,
        reason: str | None = None,
        *,
        on: str = "api",
        method: str | None = None,
    ) -> None:
        """The next `n` requests (to the API, or `on="token"`; of one `method` if given) answer `status`
        in the provider's error format, with Retry-After (seconds or an HTTP date) when given."""
        self._add(Fault("status", on, method, n, status, _header(retry_after), reason))

    def fail_until_cleared(
        self,
        status: int,
        retry_after: float | str | None = None,
        reason: str | None = None,
        *,
        on: str = "api",
        method: str | None = None,
    ) -> None:
        self._add(Fault("status", on, method, None, status, _header(retry_after), reason))

    def drop_next(self, n: int, *, on: str = "api", method: str | None = None) -> None:
        """The next `n` requests are read and the connection closed without an answer."""
        self._add(Fault("drop", on, method, n))

    def stall_next(self, n: int, seconds: float, *, on: str = "api", method: str | None = None) -> None:
        """The next `n` requests are carried out, and answered only after `seconds`: a client that gives
        up first never learns that its change was made."""
        self._add(Fault("stall", on, method, n, delay=seconds))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _add(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, on: str, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.on != on or fault.method not in (None, method):
                continue
            if fault.left is not None:
                fault.left -= 1
                if fault.left <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    # --- the log -------------------------------------------------------------------------------

    def requests(self, path_contains: str = "") -> list[Logged]:
        """Every request so far, in arrival order (a copy)."""
        with self.lock:
            return [entry for entry in self._log if path_contains in entry.path]

    # --- answering -----------------------------------------------------------------------------

    def answer(self, request: Request) -> tuple[Answer | None, float]:
        """The answer (None: hang up) and how long to wait before sending it."""
        arrived = time.monotonic()
        with self.lock:
            fault = self._take_fault(self._kind(request.path), request.method)
            answer = self._answer(request, fault)
            self._log.append(
                Logged(arrived, request.method, request.path, answer.status if answer else 0, request.query)
            )
        return answer, fault.delay if fault else 0.0

    def _kind(self, path: str) -> str:
        if path == self.token_path:
            return "token"
        return "api" if path.startswith(self.api_prefix) else ""

    def _answer(self, request: Request, fault: Fault | None) -> Answer | None:
        if fault is not None and fault.kind == "drop":
            return None
        if fault is not None and fault.kind == "status":
            return self._fault_answer(request, fault)
        if request.path == self.authorize_path and request.method == "GET":
            return self.oauth.authorize(request.query)
        if request.path == self.token_path and request.method == "POST":
            return self.oauth.token(request.form(), request.headers.get("Authorization"))
        if not request.path.startswith(self.api_prefix):
            return Answer(404, "<p>Not Found</p>")
        grant = self.oauth.grant_for(request.bearer())
        try:
            if grant is None:
                raise self.unauthorized()
            return self.api(request, grant)
        except Refused as refused:
            return self.error(refused.status, refused.reason, refused.message, refused.headers)

    def _fault_answer(self, request: Request, fault: Fault) -> Answer:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if request.path == self.token_path:
            error = fault.reason or ("temporarily_unavailable" if fault.status >= 500 else "rate_limit_exceeded")
            return Answer(fault.status, {"error": error, "error_description": "injected"}, headers)
        reason, message = self.fault_reason(fault.status)
        return self.error(fault.status, fault.reason or reason, message, headers)


def _header(retry_after: float | str | None) -> str | None:
    if retry_after is None:
        return None
    return retry_after if isinstance(retry_after, str) else str(int(retry_after))


class _Handler(BaseHTTPRequestHandler):
    server: ContractServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the providers: clients reuse connections

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), self.headers, body
        )
        answer, delay = self.server.answer(request)
        if delay:
            time.sleep(delay)
        if answer is None:
            self.close_connection = True
            return
        payload, content_type = answer.encoded()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815  # http.server dispatches on these names

    def log_message(self, format: str, *args: Any) -> None:
        pass
