"""The Celery application.

Broker and schedule come from settings (``CELERY_*``). Without ``REDIS_URL`` the settings use kombu's filesystem
transport, so a worker with embedded beat runs scheduled jobs on a laptop with nothing else installed.

Like ``config/wsgi.py``, a process that names no settings module gets production's, which refuses to start without
a real secret key; ``manage.py`` and ``make run`` choose ``config.settings.local``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
