"""The test suite. Uses DATABASE_URL / REDIS_URL when given (CI points them at PostgreSQL and Redis)."""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process in tests; tests that need the real broker connect to it explicitly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Static files are served by Django's test client from the finders; WhiteNoise would only warn that the
# collected-static directory does not exist.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
# The test client's login() authenticates without a request, which the lockout backend refuses; the lockout itself
# is tested with the full backend list (tests/accounts/test_lockout.py).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
SILENCED_SYSTEM_CHECKS = ["axes.W003"]
# No throttling by accident: the fuzz test alone makes thousands of requests, and tests of wrong keys share an
# address. tests/common/test_throttling.py and tests/security/test_auth_failure_throttle.py set rates of their own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(("anon", "user", "api_token", "auth_failure")),
}

# Counts are exact in tests (an estimate reads pg_class once a minute, which would move query counts);
# tests/common/test_estimated_count.py turns estimates on.
API_ESTIMATED_COUNT_FROM = None

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's in-memory database: the live server of the browser tests answers a page's parallel
    # requests in threads, and with an in-memory database every thread would use the test's one connection, which
    # SQLite cannot share (tables locked, or a thread blocked for good). With a file each thread has its own
    # connection; writers wait for each other instead of failing. pytest-xdist workers get a file each.
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "timeout": 60,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF",
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Django's backend but for one thing: a transactional test's database is emptied with DELETE, not TRUNCATE,
    # which takes seconds for some eighty tables (tests/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "tests.postgresql"  # noqa: F405
    # Nothing in a test database has to survive a crash: a commit need not wait for the disk (as SQLite's
    # synchronous=OFF above). Transactional tests commit every statement.
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        **DATABASES["default"].get("OPTIONS", {}),  # noqa: F405
        "options": "-c synchronous_commit=off",
    }

# pytest-xdist runs the suite in several processes (gw0, gw1, …): each gets a Redis database of its own, so a test
# that clears the cache (the throttling tests do) never clears another worker's counters. The databases get a
# suffix from pytest-django.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _XDIST_WORKER.startswith("gw"):  # noqa: F405
    _parts = urlsplit(REDIS_URL)  # noqa: F405
    _base = int(_parts.path.strip("/") or 0)
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{(_base + int(_XDIST_WORKER[2:])) % 16}"))
    CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
    CELERY_BROKER_URL = REDIS_URL
