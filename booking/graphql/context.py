"""What every resolver of one request shares: the caller, the request's data loaders and its waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.http import HttpRequest

from booking.bookings import Caller
from booking.graphql.read_waits import ReadWaits
from booking.throttle import client_address


@dataclass
class Context:
    request: HttpRequest
    organisation: UUID | None  # from a valid Bearer key
    cancel_token: str | None
    loaders: dict[str, Any] = field(default_factory=dict)
    waits: ReadWaits = field(default_factory=ReadWaits)  # minPosition: one deadline per request

    @property
    def caller(self) -> Caller:
        return Caller(self.organisation, self.cancel_token, client_address(self.request))
