"""Django settings, read from the environment (12-factor); one module per concern."""

from booking.settings.base import *  # noqa: F403
from booking.settings.celery import *  # noqa: F403
from booking.settings.database import *  # noqa: F403
from booking.settings.graphql import *  # noqa: F403
from booking.settings.logs import *  # noqa: F403
from booking.settings.metrics import *  # noqa: F403
from booking.settings.notifications import *  # noqa: F403
from booking.settings.outbound import *  # noqa: F403
from booking.settings.providers import *  # noqa: F403
from booking.settings.reads import *  # noqa: F403
from booking.settings.resilience import *  # noqa: F403
from booking.settings.throttle import *  # noqa: F403
from booking.settings.transport import *  # noqa: F403
from booking.settings.webhooks import *  # noqa: F403
