"""The Celery application.

Broker and schedule come from settings (``CELERY_*``). Without ``REDIS_URL`` the local settings use kombu's
filesystem transport, so a worker with embedded beat runs scheduled jobs on a laptop with nothing else installed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
