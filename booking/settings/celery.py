"""Side effects through Celery: the broker, delivery guarantees, queues and credentials.

Embedded default: kombu's filesystem transport under var/ (no broker to install; one machine).
Production: SLOTWISE_CELERY_BROKER_URL=redis://... (or amqp:// for RabbitMQ).
"""

import os

from cryptography.fernet import Fernet

from booking.settings.paths import VAR_DIR, kept_secret

_broker = os.environ.get("SLOTWISE_CELERY_BROKER_URL", "")
_queues = VAR_DIR / "celery"

CELERY_BROKER_URL = _broker or "filesystem://"
if not _broker:
    for folder in ("out", "control"):
        (_queues / folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        # a message a killed worker had taken comes back after this many seconds
        "visibility_timeout": int(os.environ.get("SLOTWISE_CELERY_VISIBILITY_TIMEOUT", "300")),
        "global_keyprefix": os.environ.get("SLOTWISE_CELERY_PREFIX", "slotwise:"),
    }
    if _broker.startswith("redis")
    else {
        "data_folder_in": str(_queues / "out"),
        "data_folder_out": str(_queues / "out"),
        # kombu keeps its exchange tables in ./control unless told: the checkout's top level
        "control_folder": str(_queues / "control"),
    }
    if not _broker
    else {}
)
CELERY_TASK_ACKS_LATE = True  # acknowledged after the task ran, not when it was received
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a worker killed mid-task puts its message back
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # take one message at a time per process
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # outcomes live in the side-effect ledger, not a result backend
CELERY_TASK_DEFAULT_QUEUE = "providers"
CELERY_TASK_ROUTES = {
    "slotwise.providers.*": {"queue": "providers"},
    "slotwise.notifications.*": {"queue": "notifications"},
    "slotwise.webhooks.*": {"queue": "webhooks"},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# How long a pending side effect may wait after being enqueued before the dispatcher sends it again
# (a message lost with a broker, or taken by a worker that died): tasks are idempotent.
SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS = int(os.environ.get("SLOTWISE_SIDE_EFFECT_REQUEUE_SECONDS", "300"))
# How long a worker holds a side effect it took; a worker that dies lets go when this runs out.
SLOTWISE_SIDE_EFFECT_LEASE_SECONDS = int(os.environ.get("SLOTWISE_SIDE_EFFECT_LEASE_SECONDS", "120"))


SLOTWISE_CREDENTIALS_KEY = kept_secret(
    "SLOTWISE_CREDENTIALS_KEY", "credentials_key", lambda: Fernet.generate_key().decode()
)
