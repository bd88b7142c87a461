"""What the background jobs (evaluation reports, imports, exports) share about their workers."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import InterfaceError, OperationalError

# Errors worth another attempt: the database went away for a moment. Anything else is a failure to look at.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# A job still queued or running this long after it was asked for / started will not finish: the task's hard time
# limit has killed it, or its message was lost. A new request gives it up and starts afresh.
STALE_AFTER = dt.timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 30 * 60)) + dt.timedelta(minutes=5)
