"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from the environment.

SLOTWISE_CREDENTIALS_KEY holds one or more urlsafe-base64 32-byte keys, comma-separated, newest
first: new secrets use the first, any of them decrypts (rotation). The embedded default makes
a key once under var/, like the secret key.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def seal(credentials: dict[str, Any]) -> str:
    return _fernet(settings.SLOTWISE_CREDENTIALS_KEY).encrypt(json.dumps(credentials).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_fernet(settings.SLOTWISE_CREDENTIALS_KEY).decrypt(token.encode()))
    return found
