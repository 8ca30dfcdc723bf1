"""Servers on loopback that a user's URL could point us at: a trap that only counts who connects,
an HTTP server that gives one scripted answer to every request (junk, errors, redirects), and a
name that resolves to loopback for our connections on any machine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from providers.addresses import names_resolved_by

SECRET = b"internal-secret-4f1c9e"  # what an internal service would give away in its answer


class Trap:
    """A listener that counts every connection made to it, answering each with an error page
    carrying SECRET: if anything reaches it, the count and any echo show it."""

    def __init__(self, family: socket.AddressFamily = socket.AF_INET, address: Any = ("127.0.0.1", 0)) -> None:
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind(address)
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                peer, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with peer:
                body = b"<html>" + SECRET + b"</html>"
                peer.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def __enter__(self) -> Trap:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()


@contextmanager
def unix_trap(folder: Path) -> Iterator[tuple[Trap, str]]:
    """A trap on a unix socket, with the http+unix:// URL that names it."""
    path = folder / "trap.sock"
    with Trap(socket.AF_UNIX, str(path)) as trap:
        yield trap, "http+unix://" + str(path).replace("/", "%2F") + "/"


@dataclass
class Scripted:
    """Every request gets the same answer; `seen` lists the methods asked."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seen: list[str] = field(default_factory=list)


@contextmanager
def scripted_server(answer: Scripted) -> Iterator[str]:
    """An HTTP server on loopback answering as scripted; yields its base URL (ending with /)."""

    class Handle(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer.seen.append(self.command)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PROPFIND = do_REPORT = do_DELETE = do_OPTIONS = _answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


LOOPBACK_NAME = "trap.slotwise.test"  # .test is reserved (RFC 6761): no DNS answers for it


@dataclass
class LoopbackName:
    """A name (not an address, not localhost) that resolves to 127.0.0.1 on every machine, and the
    names our connections asked to resolve meanwhile."""

    name: str = LOOPBACK_NAME
    asked: list[str] = field(default_factory=list)

    def getaddrinfo(self, host: Any, port: Any, *rest: Any) -> list[Any]:
        """The OS resolver, except that it knows LOOPBACK_NAME as 127.0.0.1."""
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.asked.append(name)
        return socket.getaddrinfo("127.0.0.1" if name == self.name else host, port, *rest)


@contextmanager
def loopback_name() -> Iterator[LoopbackName]:
    """Our outbound connections resolve names through a LoopbackName while inside, so a test can
    point a URL at a loopback listener by name, whatever this machine's hostname resolves to."""
    found = LoopbackName()
    with names_resolved_by(found.getaddrinfo):
        yield found
