"""Calendar providers over HTTP: OAuth clients and API endpoints (Google, Microsoft)."""

import os  # noqa: F401
