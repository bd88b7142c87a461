"""Production: everything that matters comes from the environment, and insecure defaults are refused."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, SECRET_KEY
from .env import env_bool, env_int

DEBUG = False

# The secret signs sessions, password-reset links and CSRF tokens: as long and varied as Django's own deploy check
# asks (50 characters, 5 different ones), and never a development default.
if not SECRET_KEY or SECRET_KEY.startswith(("insecure-", "django-insecure-")):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY in production: the development key is insecure.")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long: secrets.token_urlsafe(50).")
if len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must have at least 5 different characters.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://…")
# Persistent connections: each gunicorn thread and Celery worker process keeps its PostgreSQL connection for up to
# DATABASE_CONN_MAX_AGE seconds instead of opening one per request (a new PostgreSQL backend costs about as much
# as a whole list page; under 20 clients at once that was a fifth of the time). Checked before each reuse, so a
# restarted database costs no failed request. Connections held: GUNICORN_WORKERS × GUNICORN_THREADS plus one per
# Celery worker process, well under PostgreSQL's default max_connections (100). 0 opens one per request again.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if not REDIS_URL:
    # The broker, and the cache that holds the API's throttle counters, must be shared by every worker process.
    raise ImproperlyConfigured("Production needs Redis: set REDIS_URL=redis://…")

# HTTPS only. The proxy in front says which scheme the client used; plain HTTP is redirected to HTTPS (the stack has
# no HTTP health-check path to exempt: docker-compose checks that gunicorn accepts connections), and browsers are
# told to use HTTPS alone for a year (HSTS). Submitting the domain to the browsers' preload list commits every
# subdomain for good, so it is left to the operator (DJANGO_HSTS_PRELOAD) and Django's reminder about it is
# silenced below while it is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
LANGUAGE_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# The Content-Security-Policy of base.py applies here unchanged.
