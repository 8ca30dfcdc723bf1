"""The security settings as read from the environment (booking/settings/base.py)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

import booking.settings.base


@pytest.fixture
def reread(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The settings module read again after the test set its environment, then restored."""
    yield booking.settings.base
    monkeypatch.undo()
    importlib.reload(booking.settings.base)


def test_the_proxy_ssl_header_names_the_header_django_reads(
    monkeypatch: pytest.MonkeyPatch, reread: ModuleType
) -> None:
    # given a proxy that sets X-Forwarded-Proto
    monkeypatch.setenv("SLOTWISE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https")
    monkeypatch.setenv("SLOTWISE_HSTS_SECONDS", "600")
    settings = importlib.reload(reread)
    # then Django trusts that header, as WSGI names it, and HSTS lasts as long as asked
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings.SECURE_HSTS_SECONDS == 600


def test_without_a_proxy_no_header_is_trusted(monkeypatch: pytest.MonkeyPatch, reread: ModuleType) -> None:
    monkeypatch.delenv("SLOTWISE_PROXY_SSL_HEADER", raising=False)
    settings = importlib.reload(reread)
    assert settings.SECURE_PROXY_SSL_HEADER is None
