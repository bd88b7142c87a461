"""Development on a laptop: DEBUG on, SQLite and the filesystem broker unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# runserver serves static files itself; WhiteNoise is for gunicorn in production.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
