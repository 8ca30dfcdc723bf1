"""A real HTTP proxy in front of a real server (Radicale) that can answer like a provider in
trouble: 429 with or without Retry-After, or 5xx, for the next N requests or until cleared.
It logs every request it saw (time, method, path, status) so drills can check retry spacing."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic()
    method: str
    path: str
    status: int


@dataclass
class Fault:
    status: int
    retry_after: str | None
    remaining: int | None  # None: until cleared


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.seen: list[Seen] = []
        self._fault: Fault | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, count: int, status: int, retry_after: str | None = None) -> None:
        with self._lock:
            self._fault = Fault(status, retry_after, count)

    def fail_until_cleared(self, status: int) -> None:
        with self._lock:
            self._fault = Fault(status, None, None)

    def clear(self) -> None:
        with self._lock:
            self._fault = None

    def requests(self, method: str | None = None, path_end: str = "") -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if (method is None or s.method == method) and s.path.endswith(path_end)]

    def _take_fault(self) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._fault = None
            return fault

    def _log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.seen.append(Seen(time.monotonic(), method, path, status))

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy._take_fault()
            if fault is not None:
                self._answer_fault(fault)
                return
            upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
            upstream.close()
            proxy._log(self.command, self.path, answer.status)
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _answer_fault(self, fault: Fault) -> None:
            proxy._log(self.command, self.path, fault.status)
            body = b"slow down" if fault.status == 429 else b"unavailable"
            self.send_response(fault.status)
            if fault.retry_after is not None:
                self.send_header("Retry-After", fault.retry_after)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    for method in ("GET", "PUT", "POST", "DELETE", "PROPFIND", "REPORT", "MKCALENDAR", "OPTIONS"):
        setattr(Handler, f"do_{method}", Handler._any)

    return Handler
