"""A real SMTP server (aiosmtpd) on a free loopback port that keeps what it accepts, for email tests.

It can refuse chosen recipients (a 5xx or 4xx reply to RCPT) and slow every transaction down
before DATA, so a drill can kill a worker mid-send. A message is kept when its DATA is accepted,
just before the 250 reply: as a real server commits it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.integration.server import free_port


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    at: datetime  # when the server took it (just before its 250 reply)

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class Collector:
    """The aiosmtpd handler: keeps accepted messages; called on the server's loop thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refusals: dict[str, str] = {}
        self.delay = 0.0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.lock:
            refusal, delay = self.refusals.get(address.lower()), self.delay
        if delay:
            await asyncio.sleep(delay)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        kept = Received(
            envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content), datetime.now(UTC)
        )
        with self.lock:
            self.received.append(kept)
        return "250 2.0.0 Message accepted for delivery"


class SmtpServer:
    def __init__(self, collector: Collector, host: str, port: int) -> None:
        self.collector, self.host, self.port = collector, host, port

    def messages(self) -> list[Received]:
        with self.collector.lock:
            return list(self.collector.received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages() if address.lower() in (r.lower() for r in m.recipients)]

    def clear(self) -> None:
        with self.collector.lock:
            self.collector.received.clear()
            self.collector.refusals.clear()
            self.collector.delay = 0.0

    def refuse(self, address: str, reply: str) -> None:
        """Answers RCPT for `address` with `reply`, e.g. "550 5.1.1 No such user" or "451 4.3.0 Try later"."""
        with self.collector.lock:
            self.collector.refusals[address.lower()] = reply

    def accept(self, address: str) -> None:
        with self.collector.lock:
            self.collector.refusals.pop(address.lower(), None)

    def slow_down(self, seconds: float) -> None:
        with self.collector.lock:
            self.collector.delay = seconds

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(found := self.messages()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {count} messages; have {len(found)}")
            time.sleep(0.02)
        return found

    def env(self) -> dict[str, str]:
        """The environment a Slotwise process needs to send here."""
        return {"SLOTWISE_EMAIL_HOST": self.host, "SLOTWISE_EMAIL_PORT": str(self.port)}


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.test")
    controller.start()
    try:
        yield SmtpServer(collector, "127.0.0.1", controller.port)
    finally:
        controller.stop()
