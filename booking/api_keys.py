"""Organisation API keys: shown once, stored as a SHA-256 digest, revocable by prefix.

Keys carry 256 bits of randomness, so a fast digest is enough; there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from booking.bootstrap import get_app
from booking.domain.errors import InvalidValue
from booking.models import ApiKey

ORG_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # matched whole: `$` lets a trailing newline in


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(organisation_slug: str) -> str:
    """Registers the organisation if needed and returns a new key (the only time it is seen)."""
    if not ORG_SLUG.fullmatch(organisation_slug) or len(organisation_slug) > 64:
        raise InvalidValue.single("organisation", "must be lower-case letters, digits and single hyphens")
    organisation_id = get_app().register_organisation(organisation_slug)
    prefix = secrets.token_hex(4)
    key = f"sw_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        ApiKey.objects.create(
            organisation_slug=organisation_slug, organisation_id=organisation_id, prefix=prefix, digest=_digest(key)
        )
    return key


def organisation_for(key: str) -> UUID | None:
    """The organisation a live key belongs to, or None."""
    if not key.startswith("sw_") or len(key) > 200:
        return None
    found = ApiKey.objects.filter(digest=_digest(key), revoked_at__isnull=True).values_list("organisation_id").first()
    return found[0] if found else None


def revoke_api_key(prefix: str) -> bool:
    """Revokes the key with this prefix (with or without its `sw_`); False if none is live."""
    prefix = prefix.removeprefix("sw_").split("_")[0]
    revoked: int = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return revoked == 1
