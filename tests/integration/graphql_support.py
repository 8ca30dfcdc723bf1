"""Calling /graphql through the whole Django stack, as a GraphQL client would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.test import Client

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "graphql"


@dataclass
class GqlReply:
    status: int
    content_type: str
    body: Any

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]


class Gql:
    def __init__(self, key: str | None = None, cancel_token: str | None = None) -> None:
        self.client = Client()
        self.key, self.cancel_token = key, cancel_token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        sent = dict(extra or {})
        if self.key:
            sent.setdefault("Authorization", f"Bearer {self.key}")
        if self.cancel_token:
            sent.setdefault("X-Cancel-Token", self.cancel_token)
        return sent

    def __call__(
        self,
        query: str | None,
        variables: dict[str, Any] | None = None,
        *,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        operation_name: str | None = None,
    ) -> GqlReply:
        body: dict[str, Any] = {}
        if query is not None:
            body["query"] = query
        if variables is not None:
            body["variables"] = variables
        if extensions is not None:
            body["extensions"] = extensions
        if operation_name is not None:
            body["operationName"] = operation_name
        return self.raw(json.dumps(body), headers=headers)

    def raw(self, data: str | bytes, content_type: str = "application/json", **kw: Any) -> GqlReply:
        response = self.client.post(
            "/graphql", data=data, content_type=content_type, headers=self.headers(kw.get("headers"))
        )
        return reply_of(response)

    def get(self, params: dict[str, str], headers: dict[str, str] | None = None) -> GqlReply:
        return reply_of(self.client.get("/graphql", params, headers=self.headers(headers)))


def reply_of(response: Any) -> GqlReply:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = response.content
    return GqlReply(response.status_code, response.get("Content-Type", ""), body)


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


BOOK = operation("booking_create")
