"""The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

The timestamp is signed with the body, and made afresh for every attempt, so a receiver that
rejects old timestamps cannot be fed a captured request again later (replay protection).
Pure Python: receivers may copy `verify` as it is.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v1"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Slotwise-Signature value for this body sent at `timestamp`."""
    return f"t={timestamp},{SCHEME}={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = TOLERANCE_SECONDS) -> bool:
    """True when `header` signs exactly `body` with `secret` and its timestamp is within
    `tolerance` seconds of `now` (unix seconds). Compares in constant time."""
    timestamp, signatures = _parse(header)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in signatures)


def _parse(value: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t" and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif name == SCHEME and item:
            signatures.append(item)
    return timestamp, signatures
