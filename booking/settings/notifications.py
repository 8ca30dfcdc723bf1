"""Email and reminders: the mail backend, the sender, retries and the beat schedule.

Production: SLOTWISE_EMAIL_HOST (and _PORT, _USER, _PASSWORD, _TLS or _SSL) selects SMTP.
Embedded default (`make run`): no SMTP server to install; messages are written as files under
var/mail/. SLOTWISE_EMAIL_BACKEND (smtp | file | console | a dotted path) overrides either.
"""

import os
from datetime import timedelta

from booking.settings.paths import VAR_DIR
from booking.settings.rates import count_from_env

_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


_host = os.environ.get("SLOTWISE_EMAIL_HOST", "")
_backend = os.environ.get("SLOTWISE_EMAIL_BACKEND", "smtp" if _host else "file")
EMAIL_BACKEND = _BACKENDS.get(_backend, _backend)
EMAIL_HOST = _host or "localhost"
EMAIL_PORT = int(os.environ.get("SLOTWISE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("SLOTWISE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SLOTWISE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _flag("SLOTWISE_EMAIL_TLS")  # STARTTLS, usually port 587
EMAIL_USE_SSL = _flag("SLOTWISE_EMAIL_SSL")  # implicit TLS, usually port 465
# Per socket operation; well under the side-effect lease, so a slow server never lets a
# second worker take the same email while the first is still sending it.
EMAIL_TIMEOUT = float(os.environ.get("SLOTWISE_EMAIL_TIMEOUT", "20"))
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("SLOTWISE_EMAIL_FROM", "Slotwise <no-reply@slotwise.localhost>")
# The right-hand side of our Message-IDs (default: the sender's domain).
SLOTWISE_EMAIL_MESSAGE_ID_DOMAIN = os.environ.get("SLOTWISE_EMAIL_MESSAGE_ID_DOMAIN", "")

# Booking emails: a temporary SMTP failure is retried with backoff for this long, then given up.
SLOTWISE_EMAIL_RETRY_BASE_SECONDS = float(os.environ.get("SLOTWISE_EMAIL_RETRY_BASE_SECONDS", "5"))
SLOTWISE_EMAIL_RETRY_CAP_SECONDS = float(os.environ.get("SLOTWISE_EMAIL_RETRY_CAP_SECONDS", "900"))
SLOTWISE_EMAIL_RETRY_WINDOW_SECONDS = int(os.environ.get("SLOTWISE_EMAIL_RETRY_WINDOW_SECONDS", str(24 * 3600)))
# A booking event older than this is not announced (a dispatcher started afresh on an old log).
SLOTWISE_EMAIL_MAX_EVENT_AGE_SECONDS = int(os.environ.get("SLOTWISE_EMAIL_MAX_EVENT_AGE_SECONDS", str(24 * 3600)))

# At most this many emails to one attendee address an hour (confirmations, changes and reminders
# together; a refill of one every 60/N minutes), or `off`. Over it an email is not sent: its
# ledger row is done with a note saying so. The host's own emails are not counted.
SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR = count_from_env("SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR", "10", 1, allow_off=True)

# Reminders: how often the scheduler looks for due ones, and how late one may still go out
# (after a scheduler outage); later ones, and any once the meeting has begun, are skipped.
SLOTWISE_REMINDER_TICK_SECONDS = float(os.environ.get("SLOTWISE_REMINDER_TICK_SECONDS", "60"))
SLOTWISE_REMINDER_GRACE_MINUTES = int(os.environ.get("SLOTWISE_REMINDER_GRACE_MINUTES", "60"))

CELERY_BEAT_SCHEDULE = {
    "send-due-reminders": {
        "task": "slotwise.notifications.send_due_reminders",
        "schedule": timedelta(seconds=SLOTWISE_REMINDER_TICK_SECONDS),
        # a tick nobody ran in time is dropped: the next one does the same work
        "options": {"expires": max(SLOTWISE_REMINDER_TICK_SECONDS - 1, 1)},
    },
    "prune-side-effects": {
        "task": "slotwise.providers.prune_side_effects",
        "schedule": timedelta(days=1),
        "options": {"expires": 3600},
    },
    # the embedded limit store's full budgets (one row per address seen): an hour's worth at most
    "prune-rate-budgets": {
        "task": "slotwise.providers.prune_rate_budgets",
        "schedule": timedelta(hours=1),
        "options": {"expires": 600},
    },
}
# Done side effects are kept this long (well beyond the reminders' grace, so a pruned reminder
# is never due again); dead letters are kept until ops delete them.
SLOTWISE_SIDE_EFFECT_KEEP_DAYS = float(os.environ.get("SLOTWISE_SIDE_EFFECT_KEEP_DAYS", "7"))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
