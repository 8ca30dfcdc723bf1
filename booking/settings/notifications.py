"""Email and reminders: the mail backend and the beat schedule."""

import os  # noqa: F401
