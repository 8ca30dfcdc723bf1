"""PKCE (RFC 7636) for the authorization code grant, method S256.

The verifier is a one-time secret that the token request must show; only its challenge travels
through the browser, so a code caught on the way back is useless without it. The verifier never
leaves this server (it is kept with the consent, providers.consents).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

METHOD = "S256"


def code_verifier() -> str:
    """A fresh verifier: 86 characters of the unreserved set `[A-Za-z0-9-_]` (RFC 7636 §4.1 asks 43 to 128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
